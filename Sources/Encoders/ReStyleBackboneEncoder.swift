import Perception
import Torch

/// ReStyle's `BackboneEncoder` (pSp) and `ProgressiveBackboneEncoder` (e4e), its FFHQ encoders: the IR-SE50 trunk
/// with every style read from the last map ([N, 512, 16, 16] at 256) by a `GradualStyleBlock` of spatial size 16.
/// The input is the image beside the current reconstruction (6 channels). 205,585,792 parameters with 18 styles.
public final class ReStyleBackboneEncoder: Module, StyleCodeNetwork {
    public let inputChannels: Int
    public var readout: StyleReadout
    public let input_layer: Sequential
    public let body: ModuleList<IRSE50.Unit>
    public let styles: ModuleList<GradualStyleBlock>

    public var styleCount: Int { styles.count }

    /// Built in eval mode, with random weights until loaded.
    public init(inputChannels: Int = 6, styleCount: Int = 18, readout: StyleReadout = .independent) throws {
        self.inputChannels = inputChannels
        self.readout = readout
        input_layer = try IRSE50Trunk.inputLayer(channels: inputChannels)
        body = try IRSE50Trunk.body()
        styles = try ModuleList((0..<styleCount).map { _ in try GradualStyleBlock(spatial: 16) })
        super.init()
        try register(module: "input_layer", input_layer)
        try register(module: "body", body)
        try register(module: "styles", styles)
        eval()
    }

    /// The reference's `forward`: [N, inputChannels, 256, 256] -> [N, styleCount, 512].
    public func styleCodes(_ x: Tensor) throws -> Tensor {
        try expectInput(x, ["N", .size(inputChannels), "H", "W"])
        let last = try IRSE50Trunk.run(x, inputLayer: input_layer, body: body, through: 23, taps: [23])[23]!
        return try readout.rows(count: styleCount) { try styles[$0](last) }
    }
}
