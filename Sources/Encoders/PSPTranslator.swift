import Checkpoints
import Foundation
import StyleGAN
import Torch

/// pSp's image-to-image translation at inference (`scripts/inference.py` on its restoration and translation
/// models): a pSp container of any input — images (encoding, super-resolution, E2Style-style restoration), sketches
/// (`label_nc` 1) or segmentation maps (`label_nc` > 1) — turned into codes (+ `latent_avg`) and rendered with the
/// file's generator (fixed noise, pooled to the encoder's input size as pSp's `face_pool`).
public final class PSPTranslator {
    public let network: any StyleCodeNetwork
    /// [L, D]; nil when the codes do not start from it.
    public let latentAvg: Tensor?
    public let generator: LoadedGenerator
    /// 0 for images, 1 for sketches, the class count for segmentation maps.
    public let labelNC: Int

    /// Reads a pSp container (`state_dict` with `encoder.*` and `decoder.*`, `opts`, `latent_avg`).
    public init(path: String, device: Device = .cpu) throws {
        let file = try CheckpointError.naming(path) { try EncoderCheckpointFile(path: path) }
        guard try PSPCheckpoint.identify(file) == "psp" else {
            throw CheckpointError.unsupported(file: path, message: "not a pSp encoder container (opts.encoder_type)")
        }
        let parts = try CheckpointError.naming(path) { try PSPCheckpoint.parts(file, method: "psp", device: device) }
        guard let generator = parts.generator else {
            throw CheckpointError.invalid(file: path, message: "holds no decoder.* generator to render with")
        }
        network = parts.network
        latentAvg = parts.average?.0
        self.generator = generator
        labelNC = try file.options.int("label_nc") ?? 0
        let channels = network.inputChannels
        guard (labelNC == 0 && channels == 3) || (labelNC > 0 && channels == labelNC) else {
            throw CheckpointError.invalid(file: path, message: "input_nc \(channels) does not fit label_nc \(labelNC)")
        }
    }

    public var inputSize: Int { network.inputSize }

    /// Sources as read ([N, 3, S, S] in [-1, 1], S the input size) -> the network's input: the images, gray sketches
    /// in [0, 1], or one-hot maps of the class ids.
    public func input(_ sources: Tensor) throws -> Tensor {
        switch labelNC {
        case 0: sources
        case 1: try LabelMaps.sketch(sources)
        default: try LabelMaps.oneHot(sources, classes: labelNC)
        }
    }

    /// Sources [N, 3, S, S] in [-1, 1] -> codes [N, L, D] and images [N, 3, S, S].
    public func translate(_ sources: Tensor) throws -> (codes: Tensor, images: Tensor) {
        try expectImages(sources, channels: 3, height: inputSize, width: inputSize, for: "psp")
        return try withNoGrad {
            var codes = try network.styleCodes(input(sources.to(device: deviceOf(network))))
            if let latentAvg { codes = try codes + latentAvg }
            return (codes, try renderFacePooled(codes, generator: generator.generator, side: inputSize))
        }
    }
}
