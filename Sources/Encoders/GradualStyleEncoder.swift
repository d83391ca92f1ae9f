import Perception
import Torch

/// pSp's `GradualStyleEncoder(50, "ir_se")`, which e4e's `Encoder4Editing` and ReStyle's FPN encoder share key for
/// key: the IR-SE50 trunk's c1 (body.6, [N, 128, 64, 64] at 256), c2 (body.20, [N, 256, 32, 32]) and c3 (body.23,
/// [N, 512, 16, 16]), merged top-down as p2 = up(c3) + latlayer1(c2) and p1 = up(p2) + latlayer2(c1).
///
/// Style i reads c3 when i < 3 (coarse), p2 when i < 7 (medium) and p1 otherwise (fine), through a
/// `GradualStyleBlock` of spatial size 16, 32 or 64; `readout` makes the rows pSp's or e4e's. A narrower
/// `StyleEncoderConfiguration` keeps the keys (c1, c2 and c3 are then its last three stages).
/// 267,136,704 parameters with 18 styles and 3 input channels (official widths).
public final class GradualStyleEncoder: Module, StyleCodeNetwork {
    /// pSp's `coarse_ind` and `middle_ind`: the first medium and the first fine style.
    public static let coarseEnd = 3
    public static let middleEnd = 7

    public let inputChannels: Int
    public let configuration: StyleEncoderConfiguration
    public var readout: StyleReadout
    public let input_layer: Sequential
    public let body: ModuleList<IRSE50.Unit>
    public let styles: ModuleList<GradualStyleBlock>
    /// 1x1 convs lifting c2 (256 channels) and c1 (128) to 512 before each merge.
    public let latlayer1: Conv2d
    public let latlayer2: Conv2d

    public var styleCount: Int { styles.count }
    public var styleDim: Int { configuration.styleDim }
    public var inputSize: Int { configuration.inputSize }

    /// Built in eval mode (batch norms use their running statistics), with random weights until loaded.
    public init(inputChannels: Int = 3, styleCount: Int = 18, readout: StyleReadout = .independent,
                configuration: StyleEncoderConfiguration = .official) throws
    {
        guard styleCount >= 1 else { throw TorchError("GradualStyleEncoder: styleCount must be positive, got \(styleCount)") }
        try configuration.validate()
        self.inputChannels = inputChannels
        self.configuration = configuration
        self.readout = readout
        input_layer = try IRSE50Trunk.inputLayer(channels: inputChannels, configuration)
        body = try IRSE50Trunk.body(configuration)
        styles = try ModuleList()
        let depths = configuration.stages.map(\.depth)
        for i in 0..<styleCount {
            try styles.append(GradualStyleBlock(depths[3], configuration.styleDim, spatial: configuration.styleMapSide(i)))
        }
        latlayer1 = try Conv2d(depths[2], depths[3], kernelSize: 1)
        latlayer2 = try Conv2d(depths[1], depths[3], kernelSize: 1)
        super.init()
        try register(module: "input_layer", input_layer)
        try register(module: "body", body)
        try register(module: "styles", styles)
        try register(module: "latlayer1", latlayer1)
        try register(module: "latlayer2", latlayer2)
        eval()
    }

    /// The reference's `forward`: [N, inputChannels, S, S] -> [N, styleCount, styleDim], S the configuration's
    /// input size (official: 256, 512).
    public func styleCodes(_ x: Tensor) throws -> Tensor {
        try expectInput(x, ["N", .size(inputChannels), "H", "W"])
        let ends = configuration.stageEnds
        let taps = try IRSE50Trunk.run(x, inputLayer: input_layer, body: body, through: ends[3], taps: Set(ends[1...]))
        // c3, then p2 and p1 as the first style that reads them needs them (e4e's early stages read fewer).
        var maps = [taps[ends[3]]!]
        let laterals = [{ try self.latlayer1(taps[ends[2]]!) }, { try self.latlayer2(taps[ends[1]]!) }]
        return try readout.rows(count: styleCount) { i in
            let level = i < Self.coarseEnd ? 0 : i < Self.middleEnd ? 1 : 2
            while maps.count <= level { maps.append(try Self.upsampleAdd(maps.last!, laterals[maps.count - 1]())) }
            return try styles[i](maps[level])
        }
    }

    /// pSp's `_upsample_add`: x resized to y's size (bilinear, align_corners=True) plus y.
    private static func upsampleAdd(_ x: Tensor, _ y: Tensor) throws -> Tensor {
        try F.interpolate(x, size: (y.size(2), y.size(3)), mode: .bilinear, alignCorners: true) + y
    }
}
