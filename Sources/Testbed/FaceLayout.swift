import Foundation

/// A curve y = top + curvature * (x - middle)^2 in an ellipse's local frame; pixels below it (or above, by
/// `keepBelow`) are kept. Hairlines, beard lines and hat brims.
struct Curve {
    var frame: Ellipse
    var top: Float
    var middle: Float
    var curvature: Float
    var keepBelow: Bool
}

/// The parts on one side of the face: eye (outermost first), brow, lens, ear and earring.
struct SideLayout {
    /// The fold of the upper eyelid.
    var crease: Ellipse
    var lashes: Ellipse
    var white: Ellipse
    var iris: Ellipse
    var pupil: Ellipse
    var glint: Ellipse
    var brow: Ellipse
    var lensOuter: Ellipse
    var lensInner: Ellipse
    var ear: Ellipse
    var earring: Ellipse
}

/// Where everything of one face goes in the image, from its factors: plain numbers, turned into tensors by
/// `Canvas` for the whole batch at once.
struct FaceLayout {
    var head: Ellipse
    var jaw: Float
    var chinShift: Float
    var hairVolume: Ellipse
    var hairline: Curve
    var backHair: Ellipse
    var neck: Ellipse
    /// The head's shadow on the neck, under the jaw.
    var chinShadow: Ellipse
    var cloth: Ellipse
    var neckOpening: Ellipse
    var necklace: Ellipse
    var beardLine: Curve
    var noseBridge: Ellipse
    var noseTip: Ellipse
    var noseShadow: Ellipse
    var nostrils: (Ellipse, Ellipse)
    /// The subject's right (image left) and left (image right).
    var sides: (right: SideLayout, left: SideLayout)
    var glassesBridge: Ellipse
    var upperLip: Ellipse
    var lowerLip: Ellipse
    var mouthInner: Ellipse
    var teeth: Ellipse
    var moustache: Ellipse
    /// Soft blush, right and left.
    var cheeks: (Ellipse, Ellipse)
    var foreheadLines: [Ellipse]
    var hatDome: Ellipse
    var hatBand: Curve
    var hatBrim: Ellipse
    /// Light direction in the image frame (x right, y down, z to the camera) and ambient share.
    var light: SIMD3<Float>
    var ambient: Float

    init(_ face: TestbedFace) {
        let id = face.identity, v = face.variation
        let deg = Float.pi / 180
        let s = v.scale
        let pose = HeadPose(center: SIMD2(v.offsetX, -0.08 + v.offsetY),
                            radii: SIMD3(id.headWidth, id.headLength, id.headDepth) * s,
                            yaw: v.yaw * deg, pitch: v.pitch * deg, roll: v.roll * deg)
        let rx = pose.radii.x, ry = pose.radii.y
        let outline = pose.outline
        head = outline
        jaw = id.jaw
        chinShift = 0.45 * sin(v.yaw * deg)

        // Hair: a cap over the top of the head, cut by a hairline that follows the forehead.
        let bald = id.hairStyle == .bald
        let hairV: Float = id.bangs ? -0.36 : id.hairStyle == .long ? -0.52 : -0.56
        let line = head.local(pose.project(pose.surface(0, hairV)))
        let puff: Float = id.hairStyle == .long ? 1.12 : 1.07
        hairVolume = Ellipse(center: pose.project(SIMD3(0, -0.06 * ry, 0)), radii: SIMD2(head.radii.x * puff, head.radii.y * (puff + 0.02)),
                             angle: pose.roll, visible: !bald)
        hairline = Curve(frame: head, top: line.y, middle: line.x, curvature: id.bangs ? 0.3 : 0.5, keepBelow: false)
        backHair = Ellipse(center: pose.center + SIMD2(0, 0.5 * ry), radii: SIMD2(rx * 1.3, ry * 1.45),
                           angle: pose.roll * 0.5, visible: id.hairStyle == .long)

        // Neck and shoulders.
        let neckTop = pose.project(SIMD3(0, 0.55 * ry, -0.1 * rx))
        neck = Ellipse(center: SIMD2(neckTop.x, neckTop.y + 0.35 * ry), radii: SIMD2(0.56 * rx, 0.8 * ry))
        chinShadow = Ellipse(center: pose.project(SIMD3(0, 0.88 * ry, 0.1 * rx)), radii: SIMD2(0.75 * rx, 0.3 * ry),
                             angle: pose.roll)
        let shoulderY = max(neckTop.y + 0.42 * ry, 0.7)
        cloth = Ellipse(center: SIMD2(neckTop.x * 0.5, shoulderY + 0.62), radii: SIMD2(0.98, 0.66))
        neckOpening = Ellipse(center: SIMD2(neckTop.x, shoulderY - 0.04),
                              radii: SIMD2(0.5 * rx * (1 + 0.5 * v.neckline), 0.08 + 0.16 * v.neckline))
        necklace = Ellipse(center: SIMD2(neckTop.x, shoulderY - 0.03), radii: SIMD2(0.52 * rx, 0.12),
                           visible: v.necklace)

        // Beard below a line from the ears to under the nose.
        beardLine = Curve(frame: head, top: 0.4 + 0.1 * sin(v.pitch * deg), middle: head.local(pose.project(pose.surface(0, 0.3))).x,
                          curvature: -0.26, keepBelow: true)

        // Nose: a bridge from between the eyes, a tip standing off the face, nostrils and a shadow away from the light.
        let tipV = id.eyeHeight + id.noseLength
        let noseMidV = id.eyeHeight + id.noseLength * 0.55
        noseBridge = pose.feature(0, noseMidV, a: id.noseWidth * rx * 0.42, b: id.noseLength * ry * 0.55, lift: 1.08)
        noseTip = pose.feature(0, tipV, a: id.noseWidth * rx * 0.55, b: id.noseWidth * rx * 0.36, lift: 1.16)
        let lightSide: Float = v.lightAzimuth >= 0 ? -1 : 1
        noseShadow = pose.feature(0, noseMidV, a: id.noseWidth * rx * 0.2, b: id.noseLength * ry * 0.45,
                                  shift: SIMD2(lightSide * id.noseWidth * rx * 0.3, 0), lift: 1.1)
        let nostril = { (side: Float) in
            pose.feature(side * id.noseWidth * 0.38, tipV + 0.025, a: id.noseWidth * rx * 0.16,
                         b: id.noseWidth * rx * 0.09, lift: 1.1)
        }
        nostrils = (nostril(-1), nostril(1))

        // Eyes, brows, lenses, ears and earrings, per side (-1: the subject's right, on the image's left).
        func side(_ side: Float) -> SideLayout {
            let u = side * id.eyeSpacing, ev = id.eyeHeight
            let a = id.eyeSize * rx
            let open = 0.1 + 0.9 * v.eyesOpen
            let b = a * id.eyeAspect * open
            // Almond-shaped: the upper lid arches more than the lower.
            let white = pose.feature(u, ev, a: a, b: b, lift: 1.0, bend: -0.12)
            let lashes = pose.feature(u, ev, a: a * 1.08, b: b + 0.12 * a, shift: SIMD2(0, -0.05 * a), bend: -0.15)
            let crease = pose.feature(u, ev, a: a * 1.05, b: 0.05 * a + 0.004, shift: SIMD2(0, -b - 0.3 * a), bend: -0.5)
            let irisR = a * id.irisSize
            let gaze = SIMD2(v.gazeX * (a - irisR) * 0.7, v.gazeY * b * 0.4)
            let iris = pose.feature(u, ev, a: irisR, b: irisR, shift: gaze)
            let pupil = pose.feature(u, ev, a: irisR * 0.45, b: irisR * 0.45, shift: gaze)
            let glint = pose.feature(u, ev, a: irisR * 0.2, b: irisR * 0.2,
                                     shift: gaze + SIMD2(irisR * 0.35 * (v.lightAzimuth >= 0 ? 1 : -1), -irisR * 0.35))
            let browV = ev - id.browHeight * (1 + 0.2 * v.browRaise) - 0.02
            let brow = pose.feature(u + side * 0.02, browV, a: a * 1.35, b: a * id.browThickness, bend: -id.browArch * 0.8)
            let lensA = a * (v.glassesRound ? 1.55 : 1.7)
            let lensB = v.glassesRound ? lensA : lensA * 0.72
            let lensOuter = pose.feature(u, ev, a: lensA, b: lensB, shift: SIMD2(0, 0.1 * a), lift: 1.06,
                                         visible: v.glasses)
            let frame = 0.12 * a + 0.012
            let lensInner = pose.feature(u, ev, a: lensA - frame, b: lensB - frame, shift: SIMD2(0, 0.1 * a), lift: 1.06,
                                         visible: v.glasses)
            // Ears sit on the sides; the far one hides behind the head as it turns away.
            let earPoint = SIMD3<Float>(side * pose.radii.x * 0.98, 0.08 * ry, -0.12 * pose.radii.z)
            let depth = pose.depth(earPoint) / pose.radii.z
            let show = min(1, max(0, (depth + 0.45) / 0.3))
            var earCenter = outline.local(pose.project(earPoint))
            earCenter.x = side * max(abs(earCenter.x), 1.0)
            let earCenterImage = outline.center + outline.axis(earCenter)
            let earB = id.earSize * ry
            let ear = Ellipse(center: earCenterImage, radii: SIMD2(earB * 0.5 * show, earB), angle: pose.roll + side * 0.12,
                              visible: show > 0.05)
            let earring = Ellipse(center: earCenterImage + outline.direction(SIMD2(side * 0.02, 1)) * earB * 0.95,
                                  radii: SIMD2(0.022, 0.022) * s, visible: v.earrings && show > 0.5)
            return SideLayout(crease: crease, lashes: lashes, white: white, iris: iris, pupil: pupil, glint: glint, brow: brow,
                             lensOuter: lensOuter, lensInner: lensInner, ear: ear, earring: earring)
        }
        sides = (side(-1), side(1))
        let bridgeA = id.eyeSpacing * rx - id.eyeSize * rx * (v.glassesRound ? 1.5 : 1.65)
        glassesBridge = pose.feature(0, id.eyeHeight - 0.02, a: max(bridgeA, 0.01), b: 0.012 + 0.08 * id.eyeSize * rx, lift: 1.12,
                                     bend: -0.4, visible: v.glasses)

        // Mouth: lips around an opening; a smile widens it and lifts the corners.
        let mouthV = tipV + 0.2
        let mouthA = id.mouthWidth * rx * (1 + 0.18 * v.smile)
        let lip = id.lipThickness * ry
        let opening = v.mouthOpen * lip * 1.4
        let bend = 0.1 + 0.45 * v.smile
        upperLip = pose.feature(0, mouthV, a: mouthA, b: lip * 0.62, shift: SIMD2(0, -lip * 0.5 - opening * 0.5),
                                lift: 1.03, bend: bend)
        lowerLip = pose.feature(0, mouthV, a: mouthA * 0.86, b: lip * 0.8, shift: SIMD2(0, lip * 0.55 + opening * 0.5),
                                lift: 1.03, bend: bend)
        mouthInner = pose.feature(0, mouthV, a: mouthA * 0.9, b: max(opening * 0.75, lip * 0.12), lift: 1.03, bend: bend)
        teeth = pose.feature(0, mouthV, a: mouthA * 0.7, b: opening * 0.4, shift: SIMD2(0, -opening * 0.35), lift: 1.03,
                             bend: bend, visible: v.mouthOpen > 0.3)
        moustache = pose.feature(0, mouthV, a: mouthA * 1.05, b: lip * 0.55, shift: SIMD2(0, -lip * 1.55 - opening * 0.5),
                                 lift: 1.05, bend: -0.25, visible: id.moustache)
        let cheek = { (side: Float) in
            pose.feature(side * (id.eyeSpacing + 0.06), id.eyeHeight + 0.25, a: id.eyeSize * rx * 1.3, b: id.eyeSize * rx * 0.9)
        }
        cheeks = (cheek(-1), cheek(1))
        foreheadLines = (0..<3).map { k in
            pose.feature(0, -0.42 + 0.08 * Float(k), a: rx * 0.42, b: 0.006 + 0.004 * s, bend: -0.35,
                         visible: id.age > 0.55)
        }

        // A hat over the top of the head: a dome above a band.
        hatDome = Ellipse(center: pose.project(SIMD3(0, -0.12 * ry, 0)), radii: SIMD2(head.radii.x * 1.13, head.radii.y * 1.1),
                          angle: pose.roll, visible: v.hat)
        let brimY = head.local(pose.project(pose.surface(0, -0.5))).y
        hatBand = Curve(frame: head, top: brimY, middle: 0, curvature: 0.05, keepBelow: false)
        hatBrim = Ellipse(center: head.center + head.axis(SIMD2(0, brimY)), radii: SIMD2(head.radii.x * 1.3, head.radii.y * 0.12),
                          angle: pose.roll, bend: -0.1, visible: v.hat)

        let az = v.lightAzimuth * deg, el = v.lightElevation * deg
        light = SIMD3(sin(az) * cos(el), -sin(el), cos(az) * cos(el))
        ambient = v.ambient
    }
}
