import Perception
import Torch

/// ReStyle's `BackboneEncoder` (pSp) and `ProgressiveBackboneEncoder` (e4e), its FFHQ encoders: the IR-SE50 trunk
/// with every style read from the last map ([N, 512, 16, 16] at 256) by a `GradualStyleBlock` of spatial size 16.
/// The input is the image beside the current reconstruction (6 channels). 205,585,792 parameters with 18 styles
/// (official widths; a narrower `StyleEncoderConfiguration` keeps the keys, its styles reading 1/16 of its input).
public final class ReStyleBackboneEncoder: Module, StyleCodeNetwork {
    public let inputChannels: Int
    public let configuration: StyleEncoderConfiguration
    public var readout: StyleReadout
    public let input_layer: Sequential
    public let body: ModuleList<IRSE50.Unit>
    public let styles: ModuleList<GradualStyleBlock>

    public var styleCount: Int { styles.count }
    public var styleDim: Int { configuration.styleDim }
    public var inputSize: Int { configuration.inputSize }

    /// Built in eval mode, with random weights until loaded.
    public init(inputChannels: Int = 6, styleCount: Int = 18, readout: StyleReadout = .independent,
                configuration: StyleEncoderConfiguration = .official) throws
    {
        try configuration.validate()
        self.inputChannels = inputChannels
        self.configuration = configuration
        self.readout = readout
        input_layer = try IRSE50Trunk.inputLayer(channels: inputChannels, configuration)
        body = try IRSE50Trunk.body(configuration)
        styles = try ModuleList((0..<styleCount).map { _ in
            try GradualStyleBlock(configuration.finalDepth, configuration.styleDim, spatial: configuration.inputSize / 16)
        })
        super.init()
        try register(module: "input_layer", input_layer)
        try register(module: "body", body)
        try register(module: "styles", styles)
        eval()
    }

    /// The reference's `forward`: [N, inputChannels, S, S] -> [N, styleCount, styleDim] (S = 256 official).
    public func styleCodes(_ x: Tensor) throws -> Tensor {
        try expectInput(x, ["N", .size(inputChannels), "H", "W"])
        let end = configuration.stageEnds[3]
        let last = try IRSE50Trunk.run(x, inputLayer: input_layer, body: body, through: end, taps: [end])[end]!
        return try readout.rows(count: styleCount) { try styles[$0](last) }
    }
}
