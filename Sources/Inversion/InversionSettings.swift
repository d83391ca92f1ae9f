import Encoders
import Perception

/// How to run one inversion method: the settings a front end collects from its user. Everything left nil takes
/// the method's own default (the published configuration), decided here rather than in any front end.
public struct InversionSettings: Codable, Equatable, Sendable {
    public var method: InversionMethod
    /// Terms of the optimisation (tuning methods: of the tuning); nil: `method.defaultLosses` for `domain`.
    public var losses: Set<LossTerm>?
    /// Terms of a projected tuning pivot; nil: `method.defaultPivotLosses`.
    public var pivotLosses: Set<LossTerm>?
    /// Optimisation or tuning steps; nil: the method's own.
    public var steps: Int?
    /// Steps of a projected pivot; nil: the method's own (PTI 450, GANI's W+ projector 1000).
    public var pivotSteps: Int?
    /// Seed of every random stream of the run (latent noise, noise maps, GANI's modules and locality samples).
    public var seed: UInt64 = 0
    /// GANI's domain row of Table 1.
    public var domain: GANI.Domain = .faces
    /// ReStyle iterations and E2Style stages.
    public var encoder = EncodingOptions()
    /// Align faces (FFHQ crop) before inverting; off: centre crop.
    public var align = true
    /// The detector the crop is cut around; nil: dlib's, as the official scripts.
    public var detector: FaceDetection?
    /// The network of the identity term on faces; nil: ArcFace IR-SE50, as the papers.
    public var identityNetwork: FaceIdentityNetwork?

    /// The most steps a run accepts: far above every published configuration (Image2StyleGAN's 5000).
    public static let maximumSteps = 100_000
    /// The most ReStyle iterations or E2Style stages.
    public static let maximumIterations = 100

    public init(method: InversionMethod) {
        self.method = method
    }

    /// The terms the run optimises.
    public var resolvedLosses: Set<LossTerm> {
        var terms = losses ?? method.defaultLosses
        if losses == nil, method.tuning == .gani, GANI.Options(domain: domain).parsingWeight == 0 { terms.remove(.parsing) }
        return terms
    }

    /// The terms of a projected pivot.
    public var resolvedPivotLosses: Set<LossTerm> { pivotLosses ?? method.defaultPivotLosses }

    /// Checks every setting against the method; the message names the setting as the command line spells it.
    public func validate() throws {
        let terms = resolvedLosses
        if method.family == .encoder {
            guard losses == nil, pivotLosses == nil, steps == nil, pivotSteps == nil else {
                throw InversionError.invalidOption("\(method.rawValue) is an encoder: it takes no losses or steps")
            }
        } else {
            guard !terms.isEmpty else { throw InversionError.invalidOption("--losses needs at least one term") }
            let refused = terms.subtracting(method.allowedLosses)
            guard refused.isEmpty else {
                throw InversionError.invalidOption("\(method.rawValue) cannot use --losses \(LossTerm.list(refused)); "
                    + "its terms are \(LossTerm.list(method.allowedLosses))")
            }
        }
        if method.tuning == .gani, terms.contains(.parsing), GANI.Options(domain: domain).parsingWeight == 0 {
            throw InversionError.invalidOption("GANI's \(domain.rawValue) domain has no parsing term (Table 1)")
        }
        if pivotLosses != nil || pivotSteps != nil {
            guard method.projectsPivot else {
                throw InversionError.invalidOption("\(method.rawValue) projects no pivot: --pivot-losses and --pivot-steps do not apply")
            }
        }
        let pivotTerms = resolvedPivotLosses
        if method.projectsPivot {
            guard !pivotTerms.isEmpty else { throw InversionError.invalidOption("--pivot-losses needs at least one term") }
            let refused = pivotTerms.subtracting(InversionMethod.projector.allowedLosses)
            guard refused.isEmpty else {
                throw InversionError.invalidOption("a pivot projection cannot use \(LossTerm.list(refused)); "
                    + "its terms are \(LossTerm.list(InversionMethod.projector.allowedLosses))")
            }
        }
        for (name, value) in [("--steps", steps), ("--pivot-steps", pivotSteps)] {
            if let value, !(1...Self.maximumSteps).contains(value) {
                throw InversionError.invalidOption("\(name) must be in 1...\(Self.maximumSteps), got \(value)")
            }
        }
        for (name, value) in [("--iterations", encoder.iterations), ("--stages", encoder.stages)] {
            if let value, !(1...Self.maximumIterations).contains(value) {
                throw InversionError.invalidOption("\(name) must be in 1...\(Self.maximumIterations), got \(value)")
            }
        }
        if encoder.iterations != nil, ![.restylePSP, .restyleE4E].contains(method) {
            throw InversionError.invalidOption("--iterations applies to restyle-psp and restyle-e4e")
        }
        if encoder.stages != nil, method != .e2style {
            throw InversionError.invalidOption("--stages applies to e2style")
        }
        if identityNetwork == .dlib {
            guard method.tuning == .gani, terms.contains(.id), domain == .faces else {
                throw InversionError.invalidOption("--id-network dlib is the network of GANI's id term on faces "
                    + "(--method gani --losses ...,id)")
            }
        }
        if detector != nil, !align { throw InversionError.invalidOption("--detector goes with alignment (drop --no-align)") }
    }
}
