import Foundation

/// The weights in `dlib_face_recognition_resnet_model_v1.dat`, read without dlib and checked against the network it
/// must hold (`DlibFaceRecognition.Architecture`).
///
/// dlib serialises its nested network type (`dnn_face_recognition_ex.cpp`'s `anet_type`) as a chain: the loss
/// record; one version number per node from the outermost (the fc) to the innermost (the 7x7 conv), where tags and
/// skips write 1, layers 2, and the layer over the input 3; the input layer's record (the channel means); then every
/// layer's record in forward order, each followed by its training trailer (flags and gradient tensors, empty in a
/// cleaned net). The topology itself (tags, skips, which tag an `add_prev` adds) is in the C++ type, not the file,
/// so the reader compares each record with the one the architecture expects there. It must end at the last byte.
struct DlibFaceRecognitionFile {
    struct Convolution {
        let filters: Int
        let inputs: Int
        let kernel: Int
        let stride: Int
        /// [filters][inputs][kernel][kernel], dlib's and PyTorch's order.
        let weight: [Float]
        let bias: [Float]
    }

    /// A frozen batch norm: gamma x + beta per channel.
    struct Affine {
        let gamma: [Float]
        let beta: [Float]
    }

    /// The input layer's channel means (red, green, blue), on the 0-255 scale.
    let means: [Double]
    /// The loss's distance below which two descriptors are the same person (0.6).
    let distanceThreshold: Double
    /// In forward order: the stem's, then each unit's two.
    let convolutions: [Convolution]
    let affines: [Affine]
    /// The fc layer without bias, [inputs][outputs] as dlib stores it (y = x W).
    let fc: [Float]

    /// A node of the network chain, innermost first.
    private enum Node: Equatable {
        case convolution(filters: Int, inputs: Int, kernel: Int, stride: Int, overInput: Bool)
        case affine(Int)
        case relu
        case maxPool(window: Int, stride: Int)
        /// Window 0 is dlib's `avg_pool_everything`.
        case avgPool(window: Int, stride: Int)
        case addPrev
        case fc(outputs: Int, inputs: Int)
        case tagOrSkip

        var name: String {
            switch self {
            case .convolution(let n, _, let k, let s, _): "con \(n) \(k)x\(k)/\(s)"
            case .affine: "affine"
            case .relu: "relu"
            case .maxPool: "max_pool"
            case .avgPool(let window, _): window == 0 ? "avg_pool_everything" : "avg_pool"
            case .addPrev: "add_prev"
            case .fc: "fc"
            case .tagOrSkip: "tag/skip"
            }
        }
    }

    private static func nodes(_ architecture: DlibFaceRecognition.Architecture) -> [Node] {
        let stem = architecture.stemChannels
        var nodes: [Node] = [.convolution(filters: stem, inputs: 3, kernel: 7, stride: 2, overInput: true), .affine(stem), .relu,
                             .maxPool(window: 3, stride: 2)]
        var inputs = stem
        for unit in architecture.units {
            let n = unit.channels
            nodes += [.tagOrSkip, .convolution(filters: n, inputs: inputs, kernel: 3, stride: unit.downsample ? 2 : 1, overInput: false),
                      .affine(n), .relu, .convolution(filters: n, inputs: n, kernel: 3, stride: 1, overInput: false), .affine(n)]
            nodes += unit.downsample ? [.tagOrSkip, .tagOrSkip, .avgPool(window: 2, stride: 2), .addPrev, .relu] : [.addPrev, .relu]
            inputs = n
        }
        return nodes + [.avgPool(window: 0, stride: 1), .fc(outputs: architecture.descriptorSize, inputs: inputs)]
    }

    init(path: String, architecture: DlibFaceRecognition.Architecture = .official) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DlibError("\(path): cannot read the file (missing or unreadable)")
        }
        var reader = DlibStreamReader(path: path, bytes: [UInt8](data))
        try reader.expect(1, "the loss layer's version") { try $0.int32() }
        let loss = try reader.tag("loss_metric_2", "loss_metric_")
        if loss == "loss_metric_2" {
            _ = try reader.real()
            distanceThreshold = try reader.real()
        } else {
            distanceThreshold = 0.75
        }
        let nodes = Self.nodes(architecture)
        var versions: [Int] = []
        for node in nodes.reversed() {
            let start = reader.offset
            let version = try reader.int32()
            let accepted: ClosedRange<Int> = switch node {
            case .tagOrSkip: 1...1
            case .convolution(_, _, _, _, true): 2...3
            default: 1...2
            }
            guard accepted.contains(version) else {
                throw reader.error("version \(version) for the \(node.name) node; this is not dlib's face-recognition ResNet "
                    + "(expected \(accepted.lowerBound == accepted.upperBound ? "\(accepted.lowerBound)" : "\(accepted)"))", at: start)
            }
            versions.append(version)
        }
        versions.reverse()
        try reader.tag("input_rgb_image_sized")
        means = try (0..<3).map { _ in try reader.real() }
        guard means.allSatisfy({ $0.isFinite }) else { throw reader.error("the input's channel means are not finite") }
        try reader.expect(150, "the input rows") { try $0.uint64() }
        try reader.expect(150, "the input columns") { try $0.uint64() }

        var convolutions: [Convolution] = [], affines: [Affine] = [], fc: [Float] = []
        for (node, version) in zip(nodes, versions) where node != .tagOrSkip {
            switch node {
            case let .convolution(filters, inputs, kernel, stride, _):
                convolutions.append(try Self.convolution(&reader, filters: filters, inputs: inputs, kernel: kernel, stride: stride))
            case .affine(let channels):
                affines.append(try Self.affine(&reader, channels: channels))
            case .relu:
                if try reader.tag("relu_", "relu_2") == "relu_2", try reader.bool() {
                    throw reader.error("a disabled relu; this is not dlib's face-recognition ResNet")
                }
            case let .maxPool(window, stride), let .avgPool(window, stride):
                if case .maxPool = node { try reader.tag("max_pool_2") } else { try reader.tag("avg_pool_2") }
                try reader.expect(window, "the \(node.name) window rows") { try $0.int64() }
                try reader.expect(window, "the \(node.name) window columns") { try $0.int64() }
                for what in ["stride rows", "stride columns"] { try reader.expect(stride, "the \(node.name) \(what)") { try $0.int32() } }
                for what in ["padding rows", "padding columns"] { try reader.expect(0, "the \(node.name) \(what)") { try $0.int32() } }
            case .addPrev:
                try reader.tag("add_prev_")
            case let .fc(outputs, inputs):
                fc = try Self.fc(&reader, outputs: outputs, inputs: inputs)
            case .tagOrSkip:
                break
            }
            try Self.skipTrailer(&reader, version: version, overInput: { if case .convolution(_, _, _, _, true) = node { true } else { false } }())
        }
        guard reader.atEnd else {
            throw reader.error("\(reader.bytes.count - reader.offset) bytes follow the network's last record")
        }
        (self.convolutions, self.affines, self.fc) = (convolutions, affines, fc)
    }

    private static func convolution(_ reader: inout DlibStreamReader, filters: Int, inputs: Int, kernel: Int, stride: Int) throws
        -> Convolution
    {
        let version = try reader.tag("con_4", "con_5", "con_6")
        let start = reader.offset
        let params = try reader.tensor()
        let weightCount = filters * inputs * kernel * kernel
        guard params.shape == [weightCount + filters, 1, 1, 1] else {
            throw reader.error("con \(filters) \(kernel)x\(kernel) holds parameters \(params.shape), expected [\(weightCount + filters), 1, 1, 1]", at: start)
        }
        try reader.expect(filters, "the conv's filter count") { try $0.int64() }
        try reader.expect(kernel, "the conv's kernel rows") { try $0.int64() }
        try reader.expect(kernel, "the conv's kernel columns") { try $0.int64() }
        for what in ["stride rows", "stride columns"] { try reader.expect(stride, "the conv's \(what)") { try $0.int32() } }
        let padding = stride == 1 ? kernel / 2 : 0
        for what in ["padding rows", "padding columns"] { try reader.expect(padding, "the conv's \(what)") { try $0.int32() } }
        let aliasStart = reader.offset
        guard try reader.alias() == [filters, inputs, kernel, kernel], try reader.alias() == [1, filters, 1, 1] else {
            throw reader.error("the conv's filter and bias shapes do not match con \(filters) on \(inputs) channels", at: aliasStart)
        }
        for _ in 0..<4 { _ = try reader.real() }  // learning-rate and weight-decay multipliers
        if version != "con_4", !(try reader.bool()) { throw reader.error("a conv without bias; this is not dlib's face-recognition ResNet") }
        if version == "con_6", try reader.bool() { throw reader.error("a conv with a fused relu; this is not dlib's face-recognition ResNet") }
        let values = try reader.floats(params.data, at: start)
        return Convolution(filters: filters, inputs: inputs, kernel: kernel, stride: stride,
                           weight: Array(values[..<weightCount]), bias: Array(values[weightCount...]))
    }

    private static func affine(_ reader: inout DlibStreamReader, channels: Int) throws -> Affine {
        let version = try reader.tag("affine_", "affine_2")
        let start = reader.offset
        let params = try reader.tensor()
        guard params.shape == [2 * channels, 1, 1, 1] else {
            throw reader.error("affine on \(channels) channels holds parameters \(params.shape), expected [\(2 * channels), 1, 1, 1]", at: start)
        }
        let aliasStart = reader.offset
        guard try reader.alias() == [1, channels, 1, 1], try reader.alias() == [1, channels, 1, 1] else {
            throw reader.error("the affine's gamma and beta shapes do not match \(channels) channels", at: aliasStart)
        }
        try reader.expect(0, "the affine's mode (0 = per channel)") { try $0.int32() }
        if version == "affine_2", try reader.bool() { throw reader.error("a disabled affine; this is not dlib's face-recognition ResNet") }
        let values = try reader.floats(params.data, at: start)
        return Affine(gamma: Array(values[..<channels]), beta: Array(values[channels...]))
    }

    private static func fc(_ reader: inout DlibStreamReader, outputs: Int, inputs: Int) throws -> [Float] {
        let version = try reader.tag("fc_2", "fc_3")
        try reader.expect(outputs, "the fc's outputs") { try $0.uint64() }
        try reader.expect(inputs, "the fc's inputs") { try $0.uint64() }
        let start = reader.offset
        let params = try reader.tensor()
        guard params.shape == [inputs, outputs, 1, 1] else {
            throw reader.error("the fc holds parameters \(params.shape), expected [\(inputs), \(outputs), 1, 1] (no bias)", at: start)
        }
        let aliasStart = reader.offset
        guard try reader.alias() == [inputs, outputs, 1, 1], try reader.alias() == [0, 0, 0, 0] else {
            throw reader.error("the fc's weight and bias shapes do not match a \(inputs) -> \(outputs) layer without bias", at: aliasStart)
        }
        try reader.expect(1, "the fc's bias mode (1 = no bias)") { try $0.int32() }
        for _ in 0..<4 { _ = try reader.real() }
        if version == "fc_3", try reader.bool() { throw reader.error("an fc with bias; this is not dlib's face-recognition ResNet") }
        return try reader.floats(params.data, at: start)
    }

    /// The add_layer trailer: three flags, the cached gradient and output tensors (data skipped), and for the layer
    /// over the input its sample expansion factor.
    private static func skipTrailer(_ reader: inout DlibStreamReader, version: Int, overInput: Bool) throws {
        for _ in 0..<3 { _ = try reader.bool() }
        let tensors = overInput || version == 2 ? 3 : 2
        for _ in 0..<tensors { _ = try reader.tensor() }
        if overInput, version == 3 {
            try reader.expect(1, "the input's sample expansion factor") { try $0.uint32() }
        }
    }
}
