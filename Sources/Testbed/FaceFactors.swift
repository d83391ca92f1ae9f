/// A colour, each channel in [0, 1].
public struct RGB: Hashable, Codable, Sendable {
    public var r: Float, g: Float, b: Float

    public init(_ r: Float, _ g: Float, _ b: Float) {
        self.r = r
        self.g = g
        self.b = b
    }

    /// Rec. 601 luma.
    public var luma: Float { 0.299 * r + 0.587 * g + 0.114 * b }

    func mixed(with other: RGB, _ t: Float) -> RGB {
        RGB(r + (other.r - r) * t, g + (other.g - g) * t, b + (other.b - b) * t)
    }

    func scaled(_ s: Float) -> RGB { RGB(min(1, r * s), min(1, g * s), min(1, b * s)) }
}

/// The hair a person has before a hat covers it.
public enum HairStyle: String, Codable, CaseIterable, Sendable {
    case bald, short, long
}

/// What makes a person: constant over every variation of one identity id.
public struct IdentityFactors: Hashable, Codable, Sendable {
    /// Head half-width, half-height (chin to crown) and depth, in image half-widths.
    public var headWidth: Float, headLength: Float, headDepth: Float
    /// How much the face narrows towards the chin, 0 (round) to 1 (pointed).
    public var jaw: Float
    /// 0 (light) to 1 (dark).
    public var skinTone: Float
    public var skin: RGB
    /// Eye half-width (fraction of the head width), height/width ratio, distance of each eye from the middle
    /// (fraction of the head width) and height (fraction of the head length, + down).
    public var eyeSize: Float, eyeAspect: Float, eyeSpacing: Float, eyeHeight: Float
    public var iris: RGB
    /// Iris radius as a fraction of the eye's half-width.
    public var irisSize: Float
    public var browThickness: Float, browArch: Float, browHeight: Float
    public var noseLength: Float, noseWidth: Float
    public var earSize: Float
    public var mouthWidth: Float, lipThickness: Float
    public var lips: RGB
    public var hair: RGB
    public var hairStyle: HairStyle
    public var bangs: Bool
    public var beard: Bool
    public var moustache: Bool
    /// 0 (young) to 1 (old): greying hair, forehead lines, smile lines.
    public var age: Float

    public init(identity id: Int) {
        func draw(_ field: IdentityField) -> SeedHash { SeedHash(identity: id, variation: nil, field: field.rawValue) }
        var g = draw(.head)
        headWidth = g.uniform(0.37...0.43)
        headLength = headWidth * g.uniform(1.18...1.32)
        headDepth = headWidth * g.uniform(1.0...1.12)
        var j = draw(.jaw)
        jaw = j.uniform(0.1...0.5)
        var s = draw(.skin)
        skinTone = s.unit()
        skin = Palette.skin(tone: skinTone, warmth: s.uniform(-1...1))
        var e = draw(.eyes)
        eyeSize = e.uniform(0.15...0.2)
        eyeAspect = e.uniform(0.42...0.6)
        eyeSpacing = e.uniform(0.34...0.42)
        eyeHeight = e.uniform(-0.1...0.0)
        var i = draw(.iris)
        iris = Palette.iris[i.pick(Palette.iris.count)].scaled(i.uniform(0.8...1.15))
        irisSize = i.uniform(0.42...0.55)
        var b = draw(.brows)
        browThickness = b.uniform(0.2...0.38)
        browArch = b.uniform(0.05...0.45)
        browHeight = b.uniform(0.14...0.22)
        var n = draw(.nose)
        noseLength = n.uniform(0.26...0.36)
        noseWidth = n.uniform(0.13...0.2)
        var ear = draw(.ears)
        earSize = ear.uniform(0.2...0.27)
        var m = draw(.mouth)
        mouthWidth = m.uniform(0.28...0.4)
        lipThickness = m.uniform(0.045...0.075)
        lips = Palette.lips(skin: skin, redness: m.unit())
        var a = draw(.age)
        age = a.unit()
        var h = draw(.hair)
        let base = Palette.hair[h.pick(Palette.hair.count)].scaled(h.uniform(0.85...1.15))
        hair = age > 0.6 ? base.mixed(with: RGB(0.78, 0.78, 0.76), (age - 0.6) / 0.4 * 0.9) : base
        var style = draw(.hairStyle)
        let u = style.unit()
        hairStyle = u < 0.12 ? .bald : u < 0.55 ? .short : .long
        bangs = hairStyle != .bald && style.chance(0.3)
        var f = draw(.facialHair)
        beard = f.chance(0.22)
        moustache = f.chance(0.25)
    }
}

/// How a person is seen: one of their renders.
public struct VariationFactors: Hashable, Codable, Sendable {
    /// Pose in degrees: yaw + turns the face towards the image's right, pitch + tilts it down, roll + turns it
    /// clockwise.
    public var yaw: Float, pitch: Float, roll: Float
    /// Head position offset and scale.
    public var offsetX: Float, offsetY: Float, scale: Float
    /// 0 (neutral) to 1 (broad smile); mouth opening and eye opening, 0 to 1; gaze -1 to 1.
    public var smile: Float, mouthOpen: Float, eyesOpen: Float, gazeX: Float, gazeY: Float
    public var browRaise: Float
    /// Light direction in degrees (azimuth + from the image's right, elevation + from above) and ambient share.
    public var lightAzimuth: Float, lightElevation: Float, ambient: Float
    public var backgroundTop: RGB, backgroundBottom: RGB
    public var gradientAngle: Float, texture: Float
    public var cloth: RGB
    public var neckline: Float
    public var glasses: Bool, glassesFrame: RGB, glassesRound: Bool
    public var earrings: Bool, earringColor: RGB
    public var hat: Bool, hatColor: RGB
    public var necklace: Bool, necklaceColor: RGB
    /// Whether the render is a photo-like capture, and its camera noise sigma, blur sigma (pixels at 64 px)
    /// and JPEG quality.
    public var degraded: Bool
    public var degradation: Degradation
    /// Seeds of the background texture and of the camera noise.
    public var textureSeed: UInt64, noiseSeed: UInt64

    public struct Degradation: Hashable, Codable, Sendable {
        public var noise: Float, blur: Float, jpegQuality: Int
    }

    public init(identity id: Int, variation v: Int, degraded: Bool) {
        func draw(_ field: VariationField) -> SeedHash { SeedHash(identity: id, variation: v, field: field.rawValue) }
        var p = draw(.pose)
        yaw = p.uniform(-30...30)
        pitch = p.uniform(-15...15)
        roll = p.uniform(-10...10)
        var o = draw(.placement)
        offsetX = o.uniform(-0.05...0.05)
        offsetY = o.uniform(-0.04...0.04)
        scale = o.uniform(0.94...1.06)
        var x = draw(.expression)
        smile = x.chance(0.5) ? x.uniform(0.6...1) : x.uniform(0...0.2)
        mouthOpen = x.chance(0.3) ? x.uniform(0.55...1) : 0
        eyesOpen = x.chance(0.85) ? x.uniform(0.7...1) : x.uniform(0...0.1)
        browRaise = x.uniform(-1...1)
        var z = draw(.gaze)
        gazeX = z.uniform(-1...1)
        gazeY = z.uniform(-0.6...0.6)
        var l = draw(.light)
        lightAzimuth = l.uniform(-70...70)
        lightElevation = l.uniform(-10...60)
        ambient = l.uniform(0.35...0.6)
        var b = draw(.background)
        backgroundTop = Palette.background(&b)
        backgroundBottom = Palette.background(&b)
        gradientAngle = b.uniform(-180...180)
        texture = b.uniform(0...0.12)
        var c = draw(.cloth)
        cloth = Palette.cloth(&c)
        neckline = c.uniform(0...1)
        var a = draw(.glasses)
        glasses = a.chance(0.3)
        glassesFrame = Palette.frames[a.pick(Palette.frames.count)]
        glassesRound = a.chance(0.5)
        var r = draw(.earrings)
        earrings = r.chance(0.3)
        earringColor = Palette.metals[r.pick(Palette.metals.count)]
        var h = draw(.hat)
        hat = h.chance(0.06)
        hatColor = Palette.cloth(&h)
        var n = draw(.necklace)
        necklace = n.chance(0.08)
        necklaceColor = Palette.metals[n.pick(Palette.metals.count)]
        var d = draw(.degradation)
        self.degraded = degraded
        degradation = Degradation(noise: d.uniform(0.005...0.025), blur: d.uniform(0.15...0.4), jpegQuality: Int(d.uniform(40...90)))
        var t = draw(.seeds)
        textureSeed = t.next()
        noiseSeed = t.next()
    }
}

/// Everything one render is made of; `TestbedSample.face` gives a sample's, and it may be edited (a pose
/// changed, glasses added) to render counterfactuals.
public struct TestbedFace: Hashable, Codable, Sendable {
    public var identity: IdentityFactors
    public var variation: VariationFactors
    /// The global identity id reported in `TestbedBatch.identities`.
    public var identityID: Int

    public init(identity: IdentityFactors, variation: VariationFactors, identityID: Int) {
        self.identity = identity
        self.variation = variation
        self.identityID = identityID
    }
}

/// Independent hash fields, so adding a factor never changes another.
enum IdentityField: UInt64 {
    case head = 1, jaw, skin, eyes, iris, brows, nose, ears, mouth, age, hair, hairStyle, facialHair
}

enum VariationField: UInt64 {
    case pose = 101, placement, expression, gaze, light, background, cloth, glasses, earrings, hat, necklace,
         degradation, seeds
}
