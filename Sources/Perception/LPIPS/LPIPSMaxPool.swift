import Torch

/// Max pooling as a `Layer`, so the backbones are `Sequential`s whose indices are torchvision's: the pools hold no
/// weights but take an index (AlexNet's `features.2`), which fixes the keys of the convolutions after them.
final class LPIPSMaxPool: Module, Layer {
    let kernel: Int
    let stride: Int

    init(kernel: Int, stride: Int) {
        self.kernel = kernel
        self.stride = stride
        super.init()
    }

    /// [N, C, H, W] -> [N, C, (H - k) / s + 1, (W - k) / s + 1] (no padding, floor).
    func callAsFunction(_ x: Tensor) throws -> Tensor {
        try F.maxPool2d(x, kernel: (kernel, kernel), stride: (stride, stride))
    }

    /// The output shape for `inputShape` [N, C, H, W], or nil when the window does not fit.
    func outputShape(inputShape: [Int]) -> [Int]? {
        guard inputShape[2] >= kernel, inputShape[3] >= kernel else { return nil }
        let (h, w) = ((inputShape[2] - kernel) / stride + 1, (inputShape[3] - kernel) / stride + 1)
        return [inputShape[0], inputShape[1], h, w]
    }
}
