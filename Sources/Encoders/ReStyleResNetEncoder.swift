import Perception
import Torch

/// ReStyle's `ResNetBackboneEncoder` (pSp) and `ResNetProgressiveBackboneEncoder` (e4e), its encoders for cars,
/// churches, horses and other non-face domains: a 7x7 stride-2 conv with batch norm and PReLU (`conv1`, `bn1`,
/// `relu`), torchvision's ResNet-34 blocks as `body.0` ... `body.15` (no max pool), and every style read from the
/// last map ([N, 512, 16, 16] at 256) by a `GradualStyleBlock` of spatial size 16.
/// 195,928,128 parameters with 18 styles and 6 input channels. `configuration` (`StyleEncoderConfiguration.resNet34`,
/// or narrower) sets the stem, the stages' widths and block counts, the code length and the input side.
public final class ReStyleResNetEncoder: Module, StyleCodeNetwork {
    public let configuration: StyleEncoderConfiguration
    public var styleDim: Int { configuration.styleDim }
    public var inputSize: Int { configuration.inputSize }
    public let inputChannels: Int
    public var readout: StyleReadout
    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let relu: PReLU
    public let body: ModuleList<ResNetBasicBlock>
    public let styles: ModuleList<GradualStyleBlock>

    public var styleCount: Int { styles.count }

    /// Built in eval mode, with random weights until loaded.
    public init(inputChannels: Int = 6, styleCount: Int = 18, readout: StyleReadout = .independent,
                configuration: StyleEncoderConfiguration = .resNet34) throws
    {
        try configuration.validate()
        self.configuration = configuration
        self.inputChannels = inputChannels
        self.readout = readout
        let stem = configuration.stem
        conv1 = try Conv2d(inputChannels, stem, kernelSize: 7, stride: 2, padding: 3, bias: false)
        bn1 = try BatchNorm2d(stem)
        relu = try PReLU(numParameters: stem)
        body = try ModuleList()
        var width = stem
        for (index, stage) in configuration.stages.enumerated() {
            for b in 0..<stage.units {
                // torchvision's layer1 keeps the resolution; the first block of each later layer halves it.
                try body.append(ResNetBasicBlock(b == 0 ? width : stage.depth, stage.depth, stride: b == 0 && index > 0 ? 2 : 1))
            }
            width = stage.depth
        }
        styles = try ModuleList((0..<styleCount).map { _ in
            try GradualStyleBlock(configuration.finalDepth, configuration.styleDim, spatial: configuration.inputSize / 16)
        })
        super.init()
        try register(module: "conv1", conv1)
        try register(module: "bn1", bn1)
        try register(module: "relu", relu)
        try register(module: "body", body)
        try register(module: "styles", styles)
        eval()
    }

    /// The reference's `forward`: [N, inputChannels, S, S] -> [N, styleCount, D] (official S 256, D 512).
    public func styleCodes(_ x: Tensor) throws -> Tensor {
        try expectInput(x, ["N", .size(inputChannels), "H", "W"])
        let last = try body.reduce(relu(bn1(conv1(x)))) { try $1($0) }
        return try readout.rows(count: styleCount) { try styles[$0](last) }
    }
}
