import Torch

/// A module that only names its children, so they load under the reference's `features.<name>` keys (an
/// `nn.Sequential(OrderedDict(...))` there); the network that owns it runs them, with the pooling between.
final class NamedLayers: Module {
    init(_ layers: KeyValuePairs<String, Module>) throws {
        super.init()
        for (name, layer) in layers { try register(module: name, layer) }
    }
}

/// [N, C, H, W] -> [N, C * W * H], flattening each channel column by column.
///
/// The MTCNN weights come from Caffe models trained on MATLAB's column-major (transposed) images. Their conversion
/// to PyTorch transposed every convolution kernel so that images go in row-major, [N, 3, H, W], RGB, and left the
/// dense layers alone; swapping H and W before flattening restores the order those dense weights expect.
func flattenTransposed(_ x: Tensor) throws -> Tensor {
    try x.transpose(2, 3).contiguous().flatten(from: 1)
}

/// Max pooling with ceil mode, as every MTCNN pooling layer uses.
func ceilMaxPool(_ x: Tensor, kernel: Int, stride: Int) throws -> Tensor {
    try F.maxPool2d(x, kernel: (kernel, kernel), stride: (stride, stride), ceilMode: true)
}
