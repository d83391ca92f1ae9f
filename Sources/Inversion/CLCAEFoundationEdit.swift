import Encoders
import Foundation
import Images
import Perception
import StyleGAN
import Torch

/// CLCAE's own editing (`inference_edit.py`): the edit offset moves the foundation code before both cross
/// attentions, the encoder recomputes the w+ rows and the F-space feature from the photo, and the feature then moves
/// by G_K(w+') − G_K(w+) (`CLCAEEncoder.edit`). It therefore needs the encoder and the photo the inversion was made
/// from, prepared as it was then. Layer-range edits have no such form and keep the F-space rule (`FeatureEdit`), as
/// CLCAE's GANSpace script does.
public struct CLCAEFoundationEdit {
    public let encoder: CLCAEEncoder
    /// The photo as it was inverted, [1, 3, S, S] in [-1, 1].
    public let target: Tensor
    public let generator: StyleGAN2Generator

    public init(encoder: CLCAEEncoder, target: Tensor, generator: StyleGAN2Generator) {
        self.encoder = encoder
        self.target = target
        self.generator = generator
    }

    /// Loads what editing `inversion` (a CLCAE inversion) needs: the encoder file (`encoderPath`, else the one the
    /// inversion records) and the photo (`imagePath`, else the recorded one), prepared as the record says.
    public static func load(for inversion: InversionFile, generator: StyleGAN2Generator, encoder encoderPath: String?,
                            image imagePath: String?, device: Device = .cpu) throws -> CLCAEFoundationEdit
    {
        guard inversion.metadata.method == InversionMethod.clcae.rawValue else {
            throw InversionError.invalidOption("CLCAE's edit applies to clcae inversions, this one is \(inversion.metadata.method)")
        }
        let record = inversion.metadata.options
        guard let encoderPath = encoderPath ?? record["encoder"], FileManager.default.fileExists(atPath: encoderPath) else {
            throw InversionError.invalidOption("CLCAE's edit re-runs its encoder: give the encoder file (--encoder)"
                + (record["encoder"].map { "; the recorded \($0) is not there" } ?? ""))
        }
        guard let imagePath = imagePath ?? record[InversionPipeline.sourceKey],
              FileManager.default.fileExists(atPath: imagePath)
        else {
            throw InversionError.invalidOption("CLCAE's edit re-encodes the photo: give it (--image)"
                + (record[InversionPipeline.sourceKey].map { "; the recorded \($0) is not there" } ?? ""))
        }
        guard let encoder = try EncoderCheckpoint.load(encoderPath, device: device).encoder as? CLCAEEncoder else {
            throw InversionError.invalidOption("\(encoderPath): not a CLCAE encoder")
        }
        let aligner = try InversionPipeline.aligner(recorded: record[InversionPipeline.alignKey], device: device)
        let target = try InversionPipeline.prepare(Image.read(path: imagePath), name: imagePath, size: generator.config.size,
                                                   aligner: aligner, device: device)
        return CLCAEFoundationEdit(encoder: encoder, target: target, generator: generator)
    }

    /// `inversion` moved by `offset` (a W direction times its strength, [D] or [1, D]): new w+ rows and feature.
    public func edited(_ inversion: InversionFile, offset: Tensor) throws -> InversionFile {
        let output = try withInferenceMode {
            try encoder.edit(encoder.prepareInput(target), offset: offset.to(device: target.device), generator: generator)
        }
        guard let feature = output.feature else { throw TorchError("CLCAE's edit returned no feature") }
        var result = inversion
        result.wPlus = try output.wPlus.select(0, 0).to(device: .cpu, dtype: .float32)
        result.feature = (feature.layer, try feature.tensor.select(0, 0).to(device: .cpu, dtype: .float32), feature.blend)
        return result
    }
}
