import Foundation
import Torch

/// The matrices one augmentation applies, as rosinality's `augment` returns and accepts them (`(G, C)`).
public struct AugmentTransforms: Sendable {
    /// [N, 3, 3] float32: maps an output pixel's coordinates (relative to the image centre, in pixels) to the
    /// input position it samples — the inverse of the composed geometric augmentation.
    public var geometric: Tensor
    /// [N, 4, 4] float32: acts on homogeneous RGB (r, g, b, 1).
    public var color: Tensor

    public init(geometric: Tensor, color: Tensor) throws {
        guard geometric.rank == 3, geometric.size(1) == 3, geometric.size(2) == 3 else {
            throw TorchError("augmentation: geometric matrices must be [N, 3, 3], got \(geometric.shape)")
        }
        guard color.shape == [geometric.size(0), 4, 4] else {
            throw TorchError("augmentation: colour matrices must be [\(geometric.size(0)), 4, 4], got \(color.shape)")
        }
        self.geometric = geometric
        self.color = color
    }

    /// The matrices `parameters` describe for images of `height` x `width`, composed as rosinality's
    /// `sample_affine` (then inverted) and `sample_color` do, in float32.
    public init(_ parameters: AugmentParameters, height: Int, width: Int) throws {
        try parameters.validate()
        let a = parameters
        let n = a.xflip.applied.count
        let eye3 = try Tensor.eye(3).unsqueeze(0).repeat([n, 1, 1])
        var g = eye3
        func apply(_ transform: Tensor, _ draw: AugmentParameters.Draw, to previous: Tensor, eye: Tensor) throws
            -> Tensor
        {
            let select = try draw.applied.view([n, 1, 1])
            return try (select * transform + (1 - select) * eye).matmul(previous)
        }
        let ones = try Tensor.ones([n])
        g = try apply(Self.scale(1 - a.xflip.value * 2, ones), a.xflip, to: g, eye: eye3)
        g = try apply(Self.rotate(a.rotate90.value * (-Double.pi / 2)), a.rotate90, to: g, eye: eye3)
        let xint = a.xint.value
        g = try apply(Self.translate((xint[1] * Double(width)).round(), (xint[0] * Double(height)).round()), a.xint,
                      to: g, eye: eye3)
        g = try apply(Self.scale(a.scale.value, a.scale.value), a.scale, to: g, eye: eye3)
        g = try apply(Self.rotate(-a.preRotate.value), a.preRotate, to: g, eye: eye3)
        g = try apply(Self.scale(a.aniso.value, 1 / a.aniso.value), a.aniso, to: g, eye: eye3)
        g = try apply(Self.rotate(-a.postRotate.value), a.postRotate, to: g, eye: eye3)
        let xfrac = a.xfrac.value
        g = try apply(Self.translate(xfrac[1] * Double(width), xfrac[0] * Double(height)), a.xfrac, to: g, eye: eye3)

        let eye4 = try Tensor.eye(4).unsqueeze(0).repeat([n, 1, 1])
        var c = eye4
        c = try apply(Self.colorTranslate(a.brightness.value), a.brightness, to: c, eye: eye4)
        c = try apply(Self.colorScale(a.contrast.value), a.contrast, to: c, eye: eye4)
        c = try apply(Self.lumaFlip(a.lumaflip.value), a.lumaflip, to: c, eye: eye4)
        c = try apply(Self.hueRotation(a.hue.value), a.hue, to: c, eye: eye4)
        c = try apply(Self.saturation(a.saturation.value), a.saturation, to: c, eye: eye4)
        try self.init(geometric: Linalg.inv(g), color: c)
    }

    /// Draws parameters with probability `p` from `generator` and composes them for images of `height` x `width`.
    public static func sample(p: Double, batch: Int, height: Int, width: Int, generator: Torch.Generator) throws
        -> AugmentTransforms
    {
        try AugmentTransforms(AugmentParameters.sample(p: p, batch: batch, generator: generator), height: height,
                              width: width)
    }

    // MARK: the elementary matrices, batched over [N] parameters

    /// [N, R, R] from R x R entries, each an [N] tensor or a constant.
    private static func matrix(_ rows: [[Entry]], batch n: Int) throws -> Tensor {
        let entries = try rows.joined().map { entry -> Tensor in
            switch entry {
            case .tensor(let t): return t
            case .constant(let v): return try Tensor.full([n], v)
            }
        }
        return try Tensor.stack(entries, dim: 1).view([n, rows.count, rows.count])
    }

    private enum Entry {
        case tensor(Tensor)
        case constant(Double)
    }

    static func scale(_ sx: Tensor, _ sy: Tensor) throws -> Tensor {
        try matrix([[.tensor(sx), .constant(0), .constant(0)], [.constant(0), .tensor(sy), .constant(0)],
                    [.constant(0), .constant(0), .constant(1)]], batch: sx.count)
    }

    static func translate(_ tx: Tensor, _ ty: Tensor) throws -> Tensor {
        try matrix([[.constant(1), .constant(0), .tensor(tx)], [.constant(0), .constant(1), .tensor(ty)],
                    [.constant(0), .constant(0), .constant(1)]], batch: tx.count)
    }

    static func rotate(_ theta: Tensor) throws -> Tensor {
        let (s, c) = (try theta.sin(), try theta.cos())
        return try matrix([[.tensor(c), .tensor(-s), .constant(0)], [.tensor(s), .tensor(c), .constant(0)],
                           [.constant(0), .constant(0), .constant(1)]], batch: theta.count)
    }

    private static func colorTranslate(_ t: Tensor) throws -> Tensor {
        let o = Entry.constant(0), i = Entry.constant(1), v = Entry.tensor(t)
        return try matrix([[i, o, o, v], [o, i, o, v], [o, o, i, v], [o, o, o, i]], batch: t.count)
    }

    private static func colorScale(_ s: Tensor) throws -> Tensor {
        let o = Entry.constant(0), i = Entry.constant(1), v = Entry.tensor(s)
        return try matrix([[v, o, o, o], [o, v, o, o], [o, o, v, o], [o, o, o, i]], batch: s.count)
    }

    /// The unit grey axis (1, 1, 1) / sqrt 3 in homogeneous form, float32 as the reference's `torch.tensor(axis)`.
    private static var greyAxis: Tensor {
        get throws {
            let a = Float(1 / 3.0.squareRoot())
            return try Tensor([a, a, a, 0])
        }
    }

    /// I - 2 a a^T i: reflection through the plane orthogonal to the grey axis where i = 1.
    private static func lumaFlip(_ i: Tensor) throws -> Tensor {
        let a = try greyAxis
        let flip = try a.outer(a) * 2 * i.view([i.count, 1, 1])
        return try Tensor.eye(4).unsqueeze(0) - flip
    }

    /// Rodrigues' rotation by theta about the grey axis, embedded in 4x4.
    private static func hueRotation(_ theta: Tensor) throws -> Tensor {
        let n = theta.count
        let u = Float(1 / 3.0.squareRoot())
        let cross = try Tensor([0, -u, u, u, 0, -u, -u, u, 0], shape: [1, 3, 3])
        let axis = try Tensor([u, u, u])
        let outer = try (axis.unsqueeze(1) * axis).unsqueeze(0)
        let sin = try theta.sin().view([n, 1, 1])
        let cos = try theta.cos().view([n, 1, 1])
        let rotation = try cos * Tensor.eye(3).unsqueeze(0) + sin * cross + (1 - cos) * outer  // [N, 3, 3]
        return try rotation.pad([0, 1, 0, 1]) + Tensor([Float](repeating: 0, count: 15) + [1], shape: [1, 4, 4])
    }

    /// a a^T + (I - a a^T) s: scales the colour's component orthogonal to the grey axis by s.
    private static func saturation(_ s: Tensor) throws -> Tensor {
        let a = try greyAxis
        let axis = try a.outer(a).unsqueeze(0)
        return try axis + (Tensor.eye(4).unsqueeze(0) - axis) * s.view([s.count, 1, 1])
    }
}
