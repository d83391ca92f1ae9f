/// Every inversion method the toolkit runs. The raw values are the command line's and the inversion files'
/// spelling; the library decides from the case what each method needs and uses by default.
public enum InversionMethod: String, Codable, CaseIterable, Sendable {
    /// rosinality's StyleGAN2 projector in W+ (LPIPS-VGG, noise maps optimised).
    case projector
    /// The same projector in W.
    case projectorW = "projector-w"
    /// Image2StyleGAN: W+ from the mean, constant learning rate, MSE + perceptual.
    case image2StyleGAN = "image2stylegan"
    /// Pivotal Tuning Inversion: the StyleGAN2-ADA W projector for a pivot, then the generator tuned.
    case pti
    /// Gradient Adjusting Networks: an e4e W+ pivot (the W+ projector without an e4e file), then the generator
    /// tuned through gradient modification modules.
    case gani
    case psp, e4e
    case restylePSP = "restyle-psp"
    case restyleE4E = "restyle-e4e"
    case e2style, fs, clcae
    /// PTI around any encoder's W+ code.
    case encoderPTI = "encoder+pti"
    /// GANI around any encoder's W+ code.
    case encoderGANI = "encoder+gani"

    public enum Family: Sendable {
        /// Optimises a code against the frozen generator.
        case optimization
        /// One forward pass of a published encoder.
        case encoder
        /// Tunes the generator around a pivot code.
        case tuning
    }

    public var family: Family {
        switch self {
        case .projector, .projectorW, .image2StyleGAN: .optimization
        case .pti, .gani, .encoderPTI, .encoderGANI: .tuning
        case .psp, .e4e, .restylePSP, .restyleE4E, .e2style, .fs, .clcae: .encoder
        }
    }

    /// The encoder file's method for encoder methods (as `InversionEncoder.method` spells it).
    public var encoderMethod: String? { family == .encoder ? rawValue : nil }

    /// Whether the method needs an encoder file: encoder methods and the encoder-pivot tunings.
    public var needsEncoder: Bool { family == .encoder || self == .encoderPTI || self == .encoderGANI }

    /// Whether an encoder file, if given, supplies the pivot (GANI's e4e pivot is optional: without it the W+
    /// projector stands in).
    public var acceptsEncoder: Bool { needsEncoder || self == .gani }

    /// The tuning algorithm of a tuning method.
    public var tuning: TuningAlgorithm? {
        switch self {
        case .pti, .encoderPTI: .pti
        case .gani, .encoderGANI: .gani
        default: nil
        }
    }

    public enum TuningAlgorithm: String, Sendable { case pti, gani }

    /// The loss terms the method optimises unless told otherwise (for tuning methods: the tuning's terms).
    public var defaultLosses: Set<LossTerm> {
        switch self {
        case .projector, .projectorW: [.lpips]
        case .image2StyleGAN: [.l2, .lpips]
        case .pti, .encoderPTI: [.l2, .lpips]
        case .gani, .encoderGANI: [.l2, .lpips, .id, .parsing]
        case .psp, .e4e, .restylePSP, .restyleE4E, .e2style, .fs, .clcae: []
        }
    }

    /// The terms the method can optimise.
    public var allowedLosses: Set<LossTerm> {
        switch self {
        case .projector, .projectorW, .image2StyleGAN: [.l2, .lpips, .vgg]
        case .pti, .encoderPTI: [.l2, .lpips]
        case .gani, .encoderGANI: [.l2, .lpips, .id, .parsing]
        case .psp, .e4e, .restylePSP, .restyleE4E, .e2style, .fs, .clcae: []
        }
    }

    /// The terms of the pivot projection when the method projects one (PTI's `w_projector`: the VGG16 feature
    /// distance alone; GANI without an e4e file: the W+ projector's LPIPS-VGG).
    public var defaultPivotLosses: Set<LossTerm> {
        switch self {
        case .pti: [.vgg]
        case .gani: [.lpips]
        default: []
        }
    }

    /// Whether the method projects its own pivot (then `pivotLosses` apply).
    public var projectsPivot: Bool { self == .pti || self == .gani }
}
