import StyleGAN
import Torch

/// Frames between two inversions, linear in W+ and, for inversions that carry a feature, linear in F.
///
/// When only one of the two carries a feature at layer K, the other's stands in as its generator's own
/// layer-K output G^K(w), with the same blend: blending x with x is what rendering it without a feature does.
/// Both must come from the same generator weights: the same file, and the same tuned deltas or none.
public enum InversionInterpolation {
    /// `count` >= 2 inversions from `editor`'s at t = 0 to `other` at t = 1, evenly spaced.
    public static func frames(from editor: InversionEditor, to other: InversionFile, count: Int) throws -> [InversionFile] {
        guard count >= 2 else { throw TorchError("interpolation needs at least 2 frames, got \(count)") }
        let frame = try frame(from: editor, to: other)
        return try (0..<count).map { try frame(Double($0) / Double(count - 1)) }
    }

    /// The inversion at `t` (0: `editor`'s, 1: `other`) for any t, the endpoints checked once.
    public static func frame(from editor: InversionEditor, to other: InversionFile) throws -> (Double) throws -> InversionFile {
        let a = editor.inversion
        guard a.metadata.generatorSHA256 == other.metadata.generatorSHA256 else {
            throw TorchError("the two inversions were made with different generators")
        }
        guard try sameDeltas(a.deltas, other.deltas) else {
            throw TorchError("the two inversions have different tuned generator weights (PTI/GANI deltas); "
                + "frames between them would need a generator of their own")
        }
        guard other.wPlus.shape == a.wPlus.shape else {
            throw TorchError("w_plus shapes differ: \(a.wPlus.shape) and \(other.wPlus.shape)")
        }
        let features = try endpointFeatures(a, other, generator: editor.generator, device: editor.device)
        return { t in
            var frame = a
            frame.wPlus = try a.wPlus + (other.wPlus - a.wPlus) * t
            if let (layer, fa, fb, ba, bb) = features {
                frame.feature = (layer, try fa + (fb - fa) * t, ba + (bb - ba) * t)
            }
            return frame
        }
    }

    /// (layer, f_a, f_b, blend_a, blend_b) on the CPU, or nil when neither carries a feature.
    private static func endpointFeatures(_ a: InversionFile, _ b: InversionFile, generator: StyleGAN2Generator,
                                         device: Device) throws -> (Int, Tensor, Tensor, Double, Double)?
    {
        func own(_ file: InversionFile, layer: Int) throws -> Tensor {
            try withInferenceMode {
                try generator.feature(atLayer: layer, file.wPlus.unsqueeze(0).to(device: device)).squeeze(0).to(device: .cpu)
            }
        }
        switch (a.feature, b.feature) {
        case (nil, nil):
            return nil
        case let (fa?, fb?):
            guard fa.layer == fb.layer else {
                throw TorchError("the inversions carry features of different layers (\(fa.layer) and \(fb.layer))")
            }
            return (fa.layer, fa.tensor, fb.tensor, fa.blend, fb.blend)
        case let (fa?, nil):
            return (fa.layer, fa.tensor, try own(b, layer: fa.layer), fa.blend, fa.blend)
        case let (nil, fb?):
            return (fb.layer, try own(a, layer: fb.layer), fb.tensor, fb.blend, fb.blend)
        }
    }

    private static func sameDeltas(_ a: (kind: InversionFile.DeltaKind, tensors: [String: Tensor])?,
                                   _ b: (kind: InversionFile.DeltaKind, tensors: [String: Tensor])?) throws -> Bool
    {
        switch (a, b) {
        case (nil, nil): return true
        case let (x?, y?):
            guard x.kind == y.kind, Set(x.tensors.keys) == Set(y.tensors.keys) else { return false }
            for (key, t) in x.tensors {
                guard let u = y.tensors[key], t.shape == u.shape, try t.eq(u).all().item() != 0 else { return false }
            }
            return true
        default: return false
        }
    }
}
