import StyleGAN
import Torch

/// What every inversion method returns: the code, what else the image depends on (an injected feature,
/// generator deltas, optimised noise maps), the reconstruction, the loss curve, timings, scores and the record
/// an inversion file keeps.
public struct InversionOutcome {
    public let method: InversionMethod
    /// [1, L, D]
    public var wPlus: Tensor
    /// The F-space feature of Feature-Style and CLCAE, [1, C_K, R_K, R_K] at layer K.
    public var feature: FeatureInjection?
    /// Generator deltas of the tuning methods (PTI additive, GANI multiplicative), by state-dict key.
    public var deltas: (kind: InversionFile.DeltaKind, tensors: [String: Tensor])?
    /// Optimised noise maps (the projectors), each [1, 1, R, R].
    public var noiseMaps: [Tensor]?
    /// The reconstruction, [1, 3, S, S] in (about) [-1, 1].
    public var image: Tensor
    /// Loss of each optimisation or tuning step (empty for encoders).
    public var lossCurve: [Double]
    /// Seconds spent per stage (pivot, optimisation, tuning, encoding).
    public var timings: [InversionProgress.Stage: Double]
    /// Reconstruction scores against the target, when the pipeline measured them.
    public var scores: ReconstructionScores?
    /// What the run used (options, losses, pivot, encoder settings), kept in the inversion file's metadata.
    public var record: [String: String]

    public init(method: InversionMethod, wPlus: Tensor, feature: FeatureInjection? = nil,
                deltas: (kind: InversionFile.DeltaKind, tensors: [String: Tensor])? = nil, noiseMaps: [Tensor]? = nil,
                image: Tensor, lossCurve: [Double] = [], timings: [InversionProgress.Stage: Double] = [:],
                record: [String: String] = [:])
    {
        self.method = method
        self.wPlus = wPlus
        self.feature = feature
        self.deltas = deltas
        self.noiseMaps = noiseMaps
        self.image = image
        self.lossCurve = lossCurve
        self.timings = timings
        self.record = record
    }

    /// Total seconds over the stages.
    public var seconds: Double { timings.values.reduce(0, +) }

    /// The inversion as a file for the generator with this SHA-256: `render` and `edit` reproduce `image` from it.
    public func inversionFile(generatorSHA256: String) throws -> InversionFile {
        let metadata = InversionFile.Metadata(method: method.rawValue, options: record, generatorSHA256: generatorSHA256,
                                              imageSize: image.size(3), seconds: seconds, lossCurve: lossCurve)
        let feature = try feature.map { ($0.layer, try $0.tensor.select(0, 0), $0.blend) }
        return InversionFile(wPlus: try wPlus.select(0, 0), feature: feature, deltas: deltas, noiseMaps: noiseMaps,
                             metadata: metadata)
    }
}
