import Foundation
import Torch

/// Renders testbed faces with their ground truth, a whole batch at once in tensor operations (on the CPU or a
/// CUDA device). The result depends only on each face's factors: not on the batch, its order, or the thread count.
///
/// It holds no mutable state: one renderer may serve several threads at once.
public final class TestbedRenderer: Sendable {
    /// 64-256 for generators and most networks; 512 is the size face-parsing.PyTorch feeds BiSeNet.
    public static let sizes = [64, 128, 256, 512]

    public let size: Int
    public let device: Device
    /// Photo-like degradations (blur, noise, JPEG) on every render, not only on the `wild` split's.
    public let degradeAll: Bool

    /// - Throws: `TestbedError` for a size not in `sizes`.
    public convenience init(size: Int, device: Device = .cpu) throws {
        try self.init(size: size, device: device, degradeAll: false)
    }

    public init(size: Int, device: Device = .cpu, degradeAll: Bool) throws {
        guard Self.sizes.contains(size) else {
            throw TestbedError("unknown testbed size \(size); choose one of \(Self.sizes.map(String.init).joined(separator: ", "))")
        }
        self.size = size
        self.device = device
        self.degradeAll = degradeAll
    }

    public func render(_ samples: [TestbedSample]) throws -> TestbedBatch {
        try render(faces: samples.map(\.face))
    }

    public func render(split: TestbedSplit, indices: Range<Int>) throws -> TestbedBatch {
        guard indices.lowerBound >= 0, indices.upperBound <= split.count else {
            throw TestbedError("indices \(indices.lowerBound)..<\(indices.upperBound) are outside the \(split.rawValue) split (0..<\(split.count))")
        }
        return try render(indices.map(split.sample(at:)))
    }

    /// Faces painted together: about 256 K pixels (64 at 64 px, 4 at 256 px), so each layer's tensors stay in
    /// cache; larger requests are painted in such chunks and joined.
    public var chunkSize: Int { max(1, (1 << 18) / (size * size)) }

    /// Renders faces given by their factors (a sample's `face`, possibly edited).
    public func render(faces: [TestbedFace]) throws -> TestbedBatch {
        guard !faces.isEmpty else { throw TestbedError("nothing to render: no samples given") }
        guard device == .cpu, faces.count > chunkSize else { return try paint(faces) }
        let parts = try stride(from: 0, to: faces.count, by: chunkSize).map {
            try paint(Array(faces[$0..<min($0 + chunkSize, faces.count)]))
        }
        return TestbedBatch(images: try Tensor.cat(parts.map(\.images)), masks: try Tensor.cat(parts.map(\.masks)),
                            attributes: try Tensor.cat(parts.map(\.attributes)),
                            identities: try Tensor.cat(parts.map(\.identities)))
    }

    private func paint(_ faces: [TestbedFace]) throws -> TestbedBatch {
        try withNoGrad {
            var faces = faces
            if degradeAll { for i in faces.indices { faces[i].variation.degraded = true } }
            let layouts = faces.map(FaceLayout.init)
            let canvas = try Canvas(size: size, count: faces.count, device: device, background: background(faces))
            try FacePainter(canvas: canvas, faces: faces, layouts: layouts).paint()
            var image = canvas.image
            let degraded = faces.map(\.variation.degraded)
            if degraded.contains(true) {
                let rough = try PhotoDegradation.apply(image, faces.map(\.variation.degradation),
                                                       noiseSeeds: faces.map(\.variation.noiseSeed))
                if degraded.allSatisfy({ $0 }) {
                    image = rough
                } else {
                    let pick = try Tensor(degraded.map { Float($0 ? 1 : 0) }, shape: [faces.count, 1, 1, 1]).to(device: device)
                    image = try image + pick * (rough - image)
                }
            }
            let attributes = faces.flatMap { face in TestbedAttribute.allCases.map { $0.value(of: face) } }
            return TestbedBatch(
                images: try (image.clamp(min: 0, max: 1) * 2 - 1).contiguous(),
                masks: canvas.mask,
                attributes: try Tensor(attributes, shape: [faces.count, TestbedAttribute.allCases.count]).to(device: device),
                identities: try Tensor(faces.map { Int64($0.identityID) }, shape: [faces.count]).to(device: device))
        }
    }

    /// A two-colour gradient with a soft two-octave texture, [N, 3, S, S] in [0, 1].
    private func background(_ faces: [TestbedFace]) throws -> Tensor {
        let n = faces.count
        let ramp = try Tensor.arange(0, Double(size), device: device) * (2 / Double(size)) + (1 / Double(size) - 1)
        let x = try ramp.view([1, 1, 1, size]), y = try ramp.view([1, 1, size, 1])
        let angle = faces.map { $0.variation.gradientAngle * .pi / 180 }
        let direction = try Tensor(angle.flatMap { [sin($0), cos($0)] }, shape: [n, 2, 1, 1]).to(device: device)
        let t = try ((x * direction.narrow(1, start: 0, length: 1) + y * direction.narrow(1, start: 1, length: 1)) * 0.5 + 0.5)
            .clamp(min: 0, max: 1)
        func colours(_ pick: (VariationFactors) -> RGB) throws -> Tensor {
            let values: [Float] = faces.flatMap { face -> [Float] in
                let c = pick(face.variation)
                return [c.r, c.g, c.b]
            }
            return try Tensor(values, shape: [n, 3, 1, 1]).to(device: device)
        }
        let top = try colours(\.backgroundTop), bottom = try colours(\.backgroundBottom)
        var texture = try Tensor.zeros([n, 1, size, size], device: device)
        for (octave, cells) in [6, 17].enumerated() {
            let values: [Float] = faces.flatMap { face -> [Float] in
                (0..<(cells * cells)).map { k -> Float in
                    let bits = SeedHash.mix(face.variation.textureSeed ^ UInt64(octave << 20 | k)) >> 40
                    return Float(bits) / Float(1 << 24) * 2 - 1
                }
            }
            let grid = try Tensor(values, shape: [n, 1, cells, cells]).to(device: device)
            let up = try F.interpolate(grid, size: (size, size), mode: .bilinear, alignCorners: false)
            texture = try texture + up * (octave == 0 ? 1.0 : 0.5)
        }
        let amount = try Tensor(faces.map(\.variation.texture), shape: [n, 1, 1, 1]).to(device: device)
        return try (top + (bottom - top) * t + texture * amount).clamp(min: 0, max: 1)
    }
}
