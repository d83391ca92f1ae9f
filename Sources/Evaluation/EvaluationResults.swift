import Inversion
import Testbed

/// One method's row of the reconstruction table (CLCAE's Table 1, GANI's Table 2): means over the test images.
public struct ReconstructionRow: Codable, Equatable, Sendable {
    public var method: InversionMethod
    /// The entry's spelling (`EvaluationEntry.description`): the row's name.
    public var label: String
    /// pSp's L2: mean squared error on [-1, 1].
    public var l2: Double
    /// Mean squared error on [0, 1] (L2 / 4).
    public var mse: Double
    /// The testbed's LPIPS (its attribute classifier's stages with calibrated linear layers).
    public var lpips: Double
    public var ssim: Double?
    /// nil below MS-SSIM's 161-pixel minimum.
    public var msssim: Double?
    public var psnr: Double
    /// Cosine similarity of the testbed identity network's embeddings of input and reconstruction.
    public var identity: Double
    /// Fréchet distance in the testbed features between the reconstructions and the inputs (an FID at this count).
    public var frechet: Double
    /// Wall-clock seconds per image of the whole inversion (encoding, optimisation or pivot + tuning).
    public var secondsPerImage: Double
    /// Parameters of the method's own network (the encoder); nil for the methods that optimise per image.
    public var parameters: Int?
}

/// One point of an edit's curves: a method's inversions moved along an attribute's boundary by `strength`,
/// averaged over the test images.
public struct EditPoint: Codable, Equatable, Sendable {
    /// The entry's spelling (`EvaluationEntry.description`).
    public var label: String
    public var attribute: TestbedAttribute
    public var strength: Double
    /// Classifier score of the edit minus that of the unedited reconstruction (probability for binary attributes,
    /// the attribute's units, e.g. degrees, for continuous ones).
    public var attributeChange: Double
    /// Share of the images whose edit moved the attribute the intended way: past 0.5 on the strength's side for
    /// binary attributes, in the strength's direction for continuous ones; nil at strength 0.
    public var reached: Double?
    /// Identity similarity of the edit to the input.
    public var identity: Double
    /// Mean absolute change of the other binary attributes' probabilities: the edit's entanglement.
    public var otherChange: Double
    /// LPIPS from the edit to the renderer's counterfactual (the input with the attribute at the strength's end; at
    /// strength 0 the input itself); nil without ground truth.
    public var groundTruthLPIPS: Double?
}

/// Where an edit's boundary came from and how well it separates its samples.
public struct BoundaryRecord: Codable, Equatable, Sendable {
    public var attribute: TestbedAttribute
    /// "fitted on N samples" or the direction file's name.
    public var source: String
    public var validationAccuracy: Double?
}

/// Everything one evaluation measured; the report files are views of it.
public struct EvaluationReport: Codable, Equatable, Sendable {
    public var config: EvaluationConfig
    public var images: String
    public var imageSize: Int
    public var generator: String
    public var date: String
    public var device: String
    public var reconstruction: [ReconstructionRow]
    public var editing: [EditPoint]
    public var boundaries: [BoundaryRecord]
    /// The attribute classifier's accuracy against the ground truth on the inputs, per edited binary attribute
    /// (how far its scores of the edits can be trusted); empty without ground truth.
    public var classifierAccuracy: [String: Double]
    /// The figure files written beside the report (components.png, mixing.png, interpolation.png).
    public var figures: [String]
    /// What a reader should know (stand-in networks, pivots, skipped measures), one sentence each.
    public var notes: [String]
}
