import Perception
import Torch

/// ReStyle's `ResNetBackboneEncoder` (pSp) and `ResNetProgressiveBackboneEncoder` (e4e), its encoders for cars,
/// churches, horses and other non-face domains: a 7x7 stride-2 conv with batch norm and PReLU (`conv1`, `bn1`,
/// `relu`), torchvision's ResNet-34 blocks as `body.0` ... `body.15` (no max pool), and every style read from the
/// last map ([N, 512, 16, 16] at 256) by a `GradualStyleBlock` of spatial size 16.
/// 195,928,128 parameters with 18 styles and 6 input channels.
public final class ReStyleResNetEncoder: Module, StyleCodeNetwork {
    /// (width, blocks) of ResNet-34's layer1 ... layer4; the first block of layers 2-4 halves the resolution.
    static let layers = [(64, 3), (128, 4), (256, 6), (512, 3)]

    public let inputChannels: Int
    public var readout: StyleReadout
    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let relu: PReLU
    public let body: ModuleList<ResNetBasicBlock>
    public let styles: ModuleList<GradualStyleBlock>

    public var styleCount: Int { styles.count }

    /// Built in eval mode, with random weights until loaded.
    public init(inputChannels: Int = 6, styleCount: Int = 18, readout: StyleReadout = .independent) throws {
        self.inputChannels = inputChannels
        self.readout = readout
        conv1 = try Conv2d(inputChannels, 64, kernelSize: 7, stride: 2, padding: 3, bias: false)
        bn1 = try BatchNorm2d(64)
        relu = try PReLU(numParameters: 64)
        body = try ModuleList()
        var width = 64
        for (planes, blocks) in Self.layers {
            for b in 0..<blocks {
                try body.append(ResNetBasicBlock(b == 0 ? width : planes, planes, stride: b == 0 && planes != 64 ? 2 : 1))
            }
            width = planes
        }
        styles = try ModuleList((0..<styleCount).map { _ in try GradualStyleBlock(spatial: 16) })
        super.init()
        try register(module: "conv1", conv1)
        try register(module: "bn1", bn1)
        try register(module: "relu", relu)
        try register(module: "body", body)
        try register(module: "styles", styles)
        eval()
    }

    /// The reference's `forward`: [N, inputChannels, 256, 256] -> [N, styleCount, 512].
    public func styleCodes(_ x: Tensor) throws -> Tensor {
        try expectInput(x, ["N", .size(inputChannels), "H", "W"])
        let last = try body.reduce(relu(bn1(conv1(x)))) { try $1($0) }
        return try readout.rows(count: styleCount) { try styles[$0](last) }
    }
}
