import Foundation
import Torch

/// The random values one call of rosinality's `augment` (`non_leaking.py`) draws for a batch of N images, in its
/// order: for each transform its parameter, then the 0/1 draw deciding per image whether it applies (probability p;
/// 1 - sqrt(1 - p) for the two rotations, so that some rotation applies with probability p).
///
/// Kept apart from the matrices they make so that a run can be replayed, or fed values drawn elsewhere.
public struct AugmentParameters: Sendable {
    public struct Draw: Sendable {
        /// [N], or [2, N] for the translations (row 0 vertical, row 1 horizontal); float32.
        public var value: Tensor
        /// [N], 1 where the transform applies, else 0; float32.
        public var applied: Tensor

        public init(value: Tensor, applied: Tensor) {
            self.value = value
            self.applied = applied
        }
    }

    /// 1 mirrors horizontally, 0 does not (categories (0, 1)).
    public var xflip: Draw
    /// Quarter turns: 0 or 3. rosinality samples the categories (0, 3), not 0...3 as StyleGAN2-ADA does.
    public var rotate90: Draw
    /// [2, N] uniform in [-0.125, 0.125): the fraction of the height and width, rounded to whole pixels.
    public var xint: Draw
    /// Isotropic scale, lognormal with std 0.2 ln 2.
    public var scale: Draw
    /// Rotation before the anisotropic scale, uniform in [-pi, pi).
    public var preRotate: Draw
    /// Anisotropic scale (s horizontally, 1/s vertically), lognormal with std 0.2 ln 2.
    public var aniso: Draw
    /// Rotation after the anisotropic scale, uniform in [-pi, pi).
    public var postRotate: Draw
    /// [2, N] normal with std 0.125: the fraction of the height and width.
    public var xfrac: Draw
    /// Added to every channel, normal with std 0.2.
    public var brightness: Draw
    /// Multiplies every channel, lognormal with std 0.5 ln 2.
    public var contrast: Draw
    /// 1 mirrors the colours about the grey plane, 0 does not.
    public var lumaflip: Draw
    /// Rotation about the grey axis, uniform in [-pi, pi).
    public var hue: Draw
    /// Scales the colours' distance from the grey axis, lognormal with std ln 2.
    public var saturation: Draw

    public init(xflip: Draw, rotate90: Draw, xint: Draw, scale: Draw, preRotate: Draw, aniso: Draw, postRotate: Draw,
                xfrac: Draw, brightness: Draw, contrast: Draw, lumaflip: Draw, hue: Draw, saturation: Draw)
    {
        self.xflip = xflip
        self.rotate90 = rotate90
        self.xint = xint
        self.scale = scale
        self.preRotate = preRotate
        self.aniso = aniso
        self.postRotate = postRotate
        self.xfrac = xfrac
        self.brightness = brightness
        self.contrast = contrast
        self.lumaflip = lumaflip
        self.hue = hue
        self.saturation = saturation
    }

    /// The draws in rosinality's order (geometric, then colour), named as in StyleGAN2-ADA's pipeline.
    public var all: [(name: String, draw: Draw)] {
        [("xflip", xflip), ("rotate90", rotate90), ("xint", xint), ("scale", scale), ("rotate_pre", preRotate),
         ("aniso", aniso), ("rotate_post", postRotate), ("xfrac", xfrac), ("brightness", brightness),
         ("contrast", contrast), ("lumaflip", lumaflip), ("hue", hue), ("saturation", saturation)]
    }

    /// Throws unless every draw is for the same batch: values [N] ([2, N] for the translations), applied [N].
    public func validate() throws {
        let n = xflip.applied.count
        for (name, draw) in all {
            let value = ["xint", "xfrac"].contains(name) ? [2, n] : [n]
            guard draw.value.shape == value, draw.applied.shape == [n] else {
                throw TorchError("augmentation parameters: \(name) must have value \(value) and applied [\(n)], got "
                    + "\(draw.value.shape) and \(draw.applied.shape)")
            }
        }
    }

    /// Draws the parameters for `batch` images with augmentation probability `p` from `generator`.
    public static func sample(p: Double, batch n: Int, generator g: Torch.Generator) throws -> AugmentParameters {
        guard (0...1).contains(p) else { throw TorchError("augmentation probability must be in [0, 1], got \(p)") }
        guard n > 0 else { throw TorchError("augmentation needs a batch of at least one image, got \(n)") }
        let pRotation = 1 - (1 - p).squareRoot()
        func draw(_ value: Tensor, probability: Double = p) throws -> Draw {
            Draw(value: value, applied: try Tensor.full([n], probability).bernoulli(generator: g))
        }
        func category(_ a: Double, _ b: Double) throws -> Tensor {
            try Tensor.randint(0, 2, [n], generator: g).to(dtype: .float32) * (b - a) + a
        }
        func uniform(_ shape: [Int], _ low: Double, _ high: Double) throws -> Tensor {
            let t = try Tensor.empty(shape)
            try t.uniform_(from: low, to: high, generator: g)
            return t
        }
        func normal(_ shape: [Int], std: Double) throws -> Tensor { try Tensor.randn(shape, generator: g) * std }
        func lognormal(std: Double) throws -> Tensor { try normal([n], std: std).exp() }

        let ln2 = log(2.0)
        return try AugmentParameters(
            xflip: draw(category(0, 1)),
            rotate90: draw(category(0, 3)),
            xint: draw(uniform([2, n], -0.125, 0.125)),
            scale: draw(lognormal(std: 0.2 * ln2)),
            preRotate: draw(uniform([n], -Double.pi, Double.pi), probability: pRotation),
            aniso: draw(lognormal(std: 0.2 * ln2)),
            postRotate: draw(uniform([n], -Double.pi, Double.pi), probability: pRotation),
            xfrac: draw(normal([2, n], std: 0.125)),
            brightness: draw(normal([n], std: 0.2)),
            contrast: draw(lognormal(std: 0.5 * ln2)),
            lumaflip: draw(category(0, 1)),
            hue: draw(uniform([n], -Double.pi, Double.pi)),
            saturation: draw(lognormal(std: ln2)))
    }
}
