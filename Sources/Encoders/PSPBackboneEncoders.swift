import Perception
import StyleGAN
import Torch

/// pSp's `BackboneEncoderUsingLastLayerIntoW` (e4e calls it `SingleStyleCodeEncoder`): the IR-SE50 trunk's last
/// map, averaged to 1x1, through an equalised linear to one w shared by every row.
/// 31,212,736 parameters with 3 input channels.
public final class BackboneEncoderUsingLastLayerIntoW: Module, StyleCodeNetwork {
    public let inputChannels: Int
    public let styleCount: Int
    public let input_layer: Sequential
    public let linear: EqualLinear
    public let body: ModuleList<IRSE50.Unit>

    /// Built in eval mode, with random weights until loaded.
    public init(inputChannels: Int = 3, styleCount: Int = 18) throws {
        self.inputChannels = inputChannels
        self.styleCount = styleCount
        input_layer = try IRSE50Trunk.inputLayer(channels: inputChannels)
        linear = try EqualLinear(512, 512)
        body = try IRSE50Trunk.body()
        super.init()
        try register(module: "input_layer", input_layer)
        try register(module: "linear", linear)
        try register(module: "body", body)
        eval()
    }

    /// The reference's `forward`: [N, inputChannels, H, W] -> w [N, 512].
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try expectInput(x, ["N", .size(inputChannels), "H", "W"])
        let last = try IRSE50Trunk.run(x, inputLayer: input_layer, body: body, through: 23, taps: [23])[23]!
        return try linear(F.adaptiveAvgPool2d(last, (1, 1)).flatten(from: 1))
    }

    /// w repeated over the rows: [N, inputChannels, H, W] -> [N, styleCount, 512].
    public func styleCodes(_ x: Tensor) throws -> Tensor {
        try self(x).unsqueeze(1).expand([x.size(0), styleCount, 512])
    }
}

/// pSp's `BackboneEncoderUsingLastLayerIntoWPlus`: the trunk's last map through `output_layer_2` (batch norm, 7x7
/// average pool, flatten, linear to 512), then an equalised linear to all w+ rows at once.
/// 48,524,480 parameters with 18 styles and 3 input channels.
public final class BackboneEncoderUsingLastLayerIntoWPlus: Module, StyleCodeNetwork {
    public let inputChannels: Int
    public let styleCount: Int
    public let input_layer: Sequential
    /// BatchNorm2d(512), pool, flatten, Linear(512 * 7 * 7, 512): keys `output_layer_2.0.*` and `output_layer_2.3.*`.
    public let output_layer_2: Sequential
    public let linear: EqualLinear
    public let body: ModuleList<IRSE50.Unit>

    /// Built in eval mode, with random weights until loaded.
    public init(inputChannels: Int = 3, styleCount: Int = 18) throws {
        self.inputChannels = inputChannels
        self.styleCount = styleCount
        input_layer = try IRSE50Trunk.inputLayer(channels: inputChannels)
        output_layer_2 = try Sequential(BatchNorm2d(512), AdaptiveAvgPoolLayer(7), Flatten(), Linear(512 * 7 * 7, 512))
        linear = try EqualLinear(512, 512 * styleCount)
        body = try IRSE50Trunk.body()
        super.init()
        try register(module: "input_layer", input_layer)
        try register(module: "output_layer_2", output_layer_2)
        try register(module: "linear", linear)
        try register(module: "body", body)
        eval()
    }

    /// The reference's `forward`: [N, inputChannels, H, W] -> [N, styleCount, 512].
    public func styleCodes(_ x: Tensor) throws -> Tensor {
        try expectInput(x, ["N", .size(inputChannels), "H", "W"])
        let last = try IRSE50Trunk.run(x, inputLayer: input_layer, body: body, through: 23, taps: [23])[23]!
        return try linear(output_layer_2(last)).view([-1, styleCount, 512])
    }
}
