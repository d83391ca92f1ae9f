import Perception
import StyleGAN
import Torch

/// pSp's `BackboneEncoderUsingLastLayerIntoW` (e4e calls it `SingleStyleCodeEncoder`): the IR-SE50 trunk's last
/// map, averaged to 1x1, through an equalised linear to one w shared by every row.
/// 31,212,736 parameters with 3 input channels (official widths).
public final class BackboneEncoderUsingLastLayerIntoW: Module, StyleCodeNetwork {
    public let inputChannels: Int
    public let styleCount: Int
    public let configuration: StyleEncoderConfiguration
    public var styleDim: Int { configuration.styleDim }
    public var inputSize: Int { configuration.inputSize }
    public let input_layer: Sequential
    public let linear: EqualLinear
    public let body: ModuleList<IRSE50.Unit>

    /// Built in eval mode, with random weights until loaded.
    public init(inputChannels: Int = 3, styleCount: Int = 18, configuration: StyleEncoderConfiguration = .official) throws {
        try configuration.validate()
        self.inputChannels = inputChannels
        self.styleCount = styleCount
        self.configuration = configuration
        input_layer = try IRSE50Trunk.inputLayer(channels: inputChannels, configuration)
        linear = try EqualLinear(configuration.finalDepth, configuration.styleDim)
        body = try IRSE50Trunk.body(configuration)
        super.init()
        try register(module: "input_layer", input_layer)
        try register(module: "linear", linear)
        try register(module: "body", body)
        eval()
    }

    /// The reference's `forward`: [N, inputChannels, H, W] -> w [N, styleDim].
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try expectInput(x, ["N", .size(inputChannels), "H", "W"])
        let end = configuration.stageEnds[3]
        let last = try IRSE50Trunk.run(x, inputLayer: input_layer, body: body, through: end, taps: [end])[end]!
        return try linear(F.adaptiveAvgPool2d(last, (1, 1)).flatten(from: 1))
    }

    /// w repeated over the rows: [N, inputChannels, H, W] -> [N, styleCount, styleDim].
    public func styleCodes(_ x: Tensor) throws -> Tensor {
        try self(x).unsqueeze(1).expand([x.size(0), styleCount, configuration.styleDim])
    }
}

/// pSp's `BackboneEncoderUsingLastLayerIntoWPlus`: the trunk's last map through `output_layer_2` (batch norm, 7x7
/// average pool, flatten, linear to 512), then an equalised linear to all w+ rows at once.
/// 48,524,480 parameters with 18 styles and 3 input channels (official widths).
public final class BackboneEncoderUsingLastLayerIntoWPlus: Module, StyleCodeNetwork {
    public let inputChannels: Int
    public let styleCount: Int
    public let configuration: StyleEncoderConfiguration
    public var styleDim: Int { configuration.styleDim }
    public var inputSize: Int { configuration.inputSize }
    public let input_layer: Sequential
    /// BatchNorm2d(512), pool, flatten, Linear(512 * 7 * 7, 512): keys `output_layer_2.0.*` and `output_layer_2.3.*`.
    public let output_layer_2: Sequential
    public let linear: EqualLinear
    public let body: ModuleList<IRSE50.Unit>

    /// Built in eval mode, with random weights until loaded.
    public init(inputChannels: Int = 3, styleCount: Int = 18, configuration: StyleEncoderConfiguration = .official) throws {
        try configuration.validate()
        self.inputChannels = inputChannels
        self.styleCount = styleCount
        self.configuration = configuration
        let depth = configuration.finalDepth, dim = configuration.styleDim
        input_layer = try IRSE50Trunk.inputLayer(channels: inputChannels, configuration)
        output_layer_2 = try Sequential(BatchNorm2d(depth), AdaptiveAvgPoolLayer(7), Flatten(), Linear(depth * 7 * 7, dim))
        linear = try EqualLinear(dim, dim * styleCount)
        body = try IRSE50Trunk.body(configuration)
        super.init()
        try register(module: "input_layer", input_layer)
        try register(module: "output_layer_2", output_layer_2)
        try register(module: "linear", linear)
        try register(module: "body", body)
        eval()
    }

    /// The reference's `forward`: [N, inputChannels, H, W] -> [N, styleCount, styleDim].
    public func styleCodes(_ x: Tensor) throws -> Tensor {
        try expectInput(x, ["N", .size(inputChannels), "H", "W"])
        let end = configuration.stageEnds[3]
        let last = try IRSE50Trunk.run(x, inputLayer: input_layer, body: body, through: end, taps: [end])[end]!
        return try linear(output_layer_2(last)).view([-1, styleCount, configuration.styleDim])
    }
}
