import Checkpoints
import Foundation
import Torch

/// Directions on disk: a NumPy array [1, D] per direction (the shape of InterFaceGAN's published boundary
/// files, so either tool reads the other's) and, beside it, a JSON sidecar with the same name that says how
/// it was found.
///
/// An edit reads from the sidecar when it is there: `method` (its default strengths, and whether it defines a
/// position), `std` (GANSpace: strengths are then in standard deviations), `mean` (GANSpace: where position
/// strengths are measured from) and `layers` (SeFa: the w+ rows factorised, edited when the command names
/// none). A file without sidecar is an InterFaceGAN boundary.
public enum DirectionFile {
    /// What a direction's JSON sidecar holds; fields that do not apply to a method are absent.
    public struct Sidecar: Codable, Equatable, Sendable {
        /// "sefa", "ganspace" or "interfacegan".
        public var method: String
        /// SHA-256 of the generator file the direction was computed from.
        public var generatorSHA256: String
        /// Rank of the direction among its method's results (0 = largest eigenvalue or variance).
        public var index: Int?
        /// w+ rows the direction was computed for.
        public var layers: [Int]?
        /// SeFa: the eigenvalue of A^T A.
        public var eigenvalue: Double?
        /// GANSpace: the fraction of the samples' total variance along the component.
        public var explainedVarianceRatio: Double?
        /// GANSpace: the samples' standard deviation along the component.
        public var std: Double?
        /// GANSpace: the samples' mean (`lat_mean`) [D].
        public var mean: [Double]?
        /// GANSpace: samples drawn; InterFaceGAN: labelled codes read.
        public var samples: Int?
        /// InterFaceGAN: accuracy of the boundary on the held-out split, and on the training split.
        public var validationAccuracy: Double?
        public var trainingAccuracy: Double?
        /// InterFaceGAN on a testbed: per unit of strength, the mean change of the attribute's classifier score and
        /// the mean absolute change of the other attributes' scores, each in the scores' standard deviations.
        public var attributeChange: Double?
        public var otherAttributesChange: Double?
        /// InterFaceGAN: the attributes the boundary was made independent of (conditional editing).
        public var conditions: [String]?

        public init(method: String, generatorSHA256: String, index: Int? = nil, layers: [Int]? = nil,
                    eigenvalue: Double? = nil, explainedVarianceRatio: Double? = nil, std: Double? = nil,
                    samples: Int? = nil, validationAccuracy: Double? = nil, trainingAccuracy: Double? = nil,
                    mean: [Double]? = nil, attributeChange: Double? = nil, otherAttributesChange: Double? = nil,
                    conditions: [String]? = nil)
        {
            self.method = method
            self.generatorSHA256 = generatorSHA256
            self.index = index
            self.layers = layers
            self.eigenvalue = eigenvalue
            self.explainedVarianceRatio = explainedVarianceRatio
            self.std = std
            self.samples = samples
            self.validationAccuracy = validationAccuracy
            self.trainingAccuracy = trainingAccuracy
            self.mean = mean
            self.attributeChange = attributeChange
            self.otherAttributesChange = otherAttributesChange
            self.conditions = conditions
        }

        enum CodingKeys: String, CodingKey {
            case method, index, layers, eigenvalue, std, samples, mean
            case generatorSHA256 = "generator_sha256"
            case explainedVarianceRatio = "explained_variance_ratio"
            case validationAccuracy = "validation_accuracy"
            case trainingAccuracy = "training_accuracy"
            case attributeChange = "attribute_change"
            case otherAttributesChange = "other_attributes_change"
            case conditions
        }
    }

    /// The sidecar's path for a direction file: same name, extension .json.
    public static func sidecarPath(for path: String) -> String {
        (path as NSString).deletingPathExtension + ".json"
    }

    /// Writes `vector` [D] as [1, D] float32 at `path` and the sidecar beside it, each through a temporary file.
    public static func write(_ vector: Tensor, sidecar: Sidecar, to path: String) throws {
        try NumPy.writeArray(vector.to(device: .cpu, dtype: .float32).reshape([1, -1]), to: path)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(sidecar).write(to: URL(fileURLWithPath: sidecarPath(for: path)), options: .atomic)
    }

    /// Reads a direction file ([1, D] or [D]) and its sidecar when there is one; errors name the file.
    public static func read(_ path: String) throws -> (direction: LatentDirection, sidecar: Sidecar?) {
        let array = try NumPy.readArray(path)
        var sidecar: Sidecar?
        let sidecarPath = sidecarPath(for: path)
        if FileManager.default.fileExists(atPath: sidecarPath) {
            guard let data = FileManager.default.contents(atPath: sidecarPath),
                  let decoded = try? JSONDecoder().decode(Sidecar.self, from: data)
            else { throw CheckpointError.invalid(file: sidecarPath, message: "not a direction sidecar (JSON with method, generator_sha256, ...)") }
            sidecar = decoded
        }
        let label = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        let method = sidecar.map { DirectionMethod(rawValue: $0.method) } ?? .interfacegan
        do {
            // InterFaceGAN's boundaries pass through the origin; GANSpace's positions are measured from the mean.
            let centre: Tensor? = switch method {
            case .interfacegan: try Tensor.zeros([array.count])
            case .ganspace: try sidecar?.mean.map { try Tensor($0) }
            case .sefa, nil: nil
            }
            let direction = try LatentDirection(vector: array.to(dtype: .float64), unit: sidecar?.std ?? 1,
                                                rows: sidecar?.layers, label: label, method: method, centre: centre)
            return (direction, sidecar)
        } catch let error as TorchError {
            throw CheckpointError.invalid(file: path, message: error.message)
        }
    }
}
