import StyleGAN
import Torch

/// A composed edit of one inversion, as a front end's sliders describe it (the web editor's render request):
/// interpolation toward another inversion, named directions (InterFaceGAN boundaries), GANSpace and SeFa components
/// on a layer range, style mixing with another code on a layer range, then truncation toward the average w, applied
/// to w+ in that order. An inversion that carries a feature (Feature-Style, CLCAE) has it moved by the F-space rule.
public struct EditRecipe: Codable, Equatable, Sendable {
    public struct Component: Codable, Equatable, Sendable {
        /// `.ganspace` (strength in sigmas) or `.sefa`.
        public var method: DirectionMethod
        public var index: Int
        public var strength: Double
        /// The first and last w+ rows moved, both included (GANSpace's E(k, a-b)); nil: every row.
        public var layers: [Int]?

        public init(method: DirectionMethod, index: Int, strength: Double, layers: [Int]? = nil) {
            (self.method, self.index, self.strength, self.layers) = (method, index, strength, layers)
        }
    }

    /// Rows taken from the other code: w_r + strength (o_r - w_r) on rows first...last.
    public struct Mix: Codable, Equatable, Sendable {
        public var layers: [Int]
        public var strength: Double

        public init(layers: [Int], strength: Double = 1) { (self.layers, self.strength) = (layers, strength) }
    }

    public var directions: [String: Double]
    public var components: [Component]
    public var mix: Mix?
    /// 0: this inversion, 1: the other.
    public var interpolation: Double?
    /// 1: none; smaller pulls w+ toward the average w.
    public var truncation: Double

    public init(directions: [String: Double] = [:], components: [Component] = [], mix: Mix? = nil,
                interpolation: Double? = nil, truncation: Double = 1)
    {
        (self.directions, self.components, self.mix) = (directions, components, mix)
        (self.interpolation, self.truncation) = (interpolation, truncation)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        directions = try c.decodeIfPresent([String: Double].self, forKey: .directions) ?? [:]
        components = try c.decodeIfPresent([Component].self, forKey: .components) ?? []
        mix = try c.decodeIfPresent(Mix.self, forKey: .mix)
        interpolation = try c.decodeIfPresent(Double.self, forKey: .interpolation)
        truncation = try c.decodeIfPresent(Double.self, forKey: .truncation) ?? 1
    }

    /// The largest strength a slider may ask for (InterFaceGAN and SeFa distances, GANSpace sigmas).
    public static let strengthLimit = 10.0

    /// Whether the recipe needs GANSpace's components (which are computed on first use).
    public var usesGANSpace: Bool { components.contains { $0.method == .ganspace } }

    /// What the recipe reads besides the inversion.
    public struct Palette {
        public var directions: [String: LatentDirection]
        public var ganspace: GANSpace.Components?
        public var sefa: SeFa.Factorization?
        /// [D] or [1, D]: the generator's average w, the truncation centre.
        public var latentAvg: Tensor

        public init(directions: [String: LatentDirection], ganspace: GANSpace.Components? = nil,
                    sefa: SeFa.Factorization? = nil, latentAvg: Tensor)
        {
            (self.directions, self.ganspace, self.sefa, self.latentAvg) = (directions, ganspace, sefa, latentAvg)
        }
    }

    /// The edited inversion of `editor`'s. `mixWith` [L, D] is the mixing code (another inversion's or a seed's),
    /// `interpolateTo` the other inversion; each is needed exactly when the recipe uses it.
    public func apply(to editor: InversionEditor, palette: Palette, mixWith: Tensor? = nil,
                      interpolateTo: InversionFile? = nil) throws -> InversionFile
    {
        let rowCount = editor.generator.nLatent
        var base = editor.inversion
        switch (interpolation, interpolateTo) {
        case (nil, nil): break
        case let (t?, other?):
            guard (0...1).contains(t) else { throw EditRecipeError("interpolation must be in 0...1, got \(t)") }
            base = try InversionInterpolation.frame(from: editor, to: other)(t)
        default: throw EditRecipeError("interpolation needs both a position and a second inversion")
        }
        var w = try base.wPlus.to(device: editor.device, dtype: .float32)
        for (name, strength) in directions.sorted(by: { $0.key < $1.key }) {
            guard let direction = palette.directions[name] else {
                throw EditRecipeError("no direction named \(name); there are \(palette.directions.keys.sorted().joined(separator: ", "))")
            }
            try Self.check(strength, name)
            if strength != 0 { w = try DirectionEdit.apply(w, along: direction, strength: strength, rows: .all(rowCount)) }
        }
        for component in components {
            let name = "\(component.method.rawValue) \(component.index)"
            try Self.check(component.strength, name)
            let rows = try Self.rows(component.layers, count: rowCount, name)
            let direction: LatentDirection
            switch component.method {
            case .ganspace:
                guard let ganspace = palette.ganspace else { throw EditRecipeError("GANSpace's components are not loaded") }
                guard (0..<ganspace.count).contains(component.index) else {
                    throw EditRecipeError("GANSpace has components 0...\(ganspace.count - 1), not \(component.index)")
                }
                direction = try ganspace.direction(component.index)
            case .sefa:
                guard let sefa = palette.sefa else { throw EditRecipeError("SeFa's directions are not loaded") }
                guard (0..<sefa.directions.size(0)).contains(component.index) else {
                    throw EditRecipeError("SeFa has directions 0...\(sefa.directions.size(0) - 1), not \(component.index)")
                }
                direction = try LatentDirection(vector: sefa.directions.select(0, component.index), label: "sefa\(component.index)",
                                                method: .sefa)
            case .interfacegan:
                throw EditRecipeError("InterFaceGAN boundaries are edited by name (directions), not as components")
            }
            if component.strength != 0 { w = try DirectionEdit.apply(w, along: direction, strength: component.strength, rows: rows) }
        }
        switch (mix, mixWith) {
        case (nil, nil): break
        case let (mix?, other?):
            guard (0...1).contains(mix.strength) else { throw EditRecipeError("mixing strength must be in 0...1, got \(mix.strength)") }
            w = try StyleMixing.apply(w, from: other, strength: mix.strength, rows: Self.rows(mix.layers, count: rowCount, "mixing"))
        default: throw EditRecipeError("mixing needs both a layer range and a second code")
        }
        guard (0...2).contains(truncation) else { throw EditRecipeError("truncation must be in 0...2, got \(truncation)") }
        if truncation != 1 {
            let average = try palette.latentAvg.to(device: w.device, dtype: .float32).reshape([1, -1])
            w = try average + (w - average) * truncation
        }
        return try editor.edited(w, base: base)
    }

    static func check(_ strength: Double, _ name: String) throws {
        guard strength.isFinite, abs(strength) <= strengthLimit else {
            throw EditRecipeError("\(name): strength must be in -\(Int(strengthLimit))...\(Int(strengthLimit)), got \(strength)")
        }
    }

    /// Rows first...last of `count` (nil: all).
    static func rows(_ layers: [Int]?, count: Int, _ name: String) throws -> RowWeights {
        guard let layers else { return try .all(count) }
        guard layers.count == 2, 0 <= layers[0], layers[0] <= layers[1], layers[1] < count else {
            throw EditRecipeError("\(name): layers must be [first, last] within 0...\(count - 1), got \(layers)")
        }
        return try RowWeights(rows: Array(layers[0]...layers[1]), count: count)
    }
}

/// A recipe that asks for something impossible: its message says what.
public struct EditRecipeError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
