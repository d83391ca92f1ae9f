import TestSupport
import Testing
import Torch

/// What the MoCo and FID Inception tests share: checking a network against a torchvision layer table, and the
/// fixtures' procedural fill.
enum MoCoInceptionSupport {
    /// One line of a layer table: "conv <path> <out> <in> <kH> <kW> <strideH> <strideW> <padH> <padW>" (no bias)
    /// or "bn <path> <channels> <eps>", in the order of the network's `named_modules()`.
    enum Layer {
        case conv(path: String, shape: [Int], stride: Size2, padding: Size2)
        case batchNorm(path: String, channels: Int, eps: Double)
    }

    static func parse(_ table: String) -> [Layer] {
        table.split(separator: "\n").map { line in
            let fields = line.split(separator: " ").map(String.init)
            if fields[0] == "conv" {
                let n = fields[2...].map { Int($0)! }
                return .conv(path: fields[1], shape: Array(n[0..<4]), stride: Size2(n[4], n[5]),
                             padding: Size2(n[6], n[7]))
            }
            return .batchNorm(path: fields[1], channels: Int(fields[2])!, eps: Double(fields[3])!)
        }
    }

    /// The state dict a table implies, names and shapes in PyTorch's order.
    static func stateDictLayout(_ layers: [Layer]) -> [String] {
        layers.flatMap { layer -> [String] in
            switch layer {
            case let .conv(path, shape, _, _):
                return ["\(path).weight \(shape)"]
            case let .batchNorm(path, c, _):
                return ["weight", "bias", "running_mean", "running_var"].map { "\(path).\($0) [\(c)]" }
                    + ["\(path).num_batches_tracked []"]
            }
        }
    }

    /// Expects `module`'s state dict (names, order, shapes) and its convolutions' strides and paddings and batch
    /// norms' eps to be those of `table`.
    static func expectArchitecture(_ module: Module, _ table: String,
                                   sourceLocation: SourceLocation = #_sourceLocation) throws
    {
        let layers = parse(table)
        let actual = try module.stateDict().map { "\($0.name) \($0.tensor.shape)" }
        let expected = stateDictLayout(layers)
        #expect(actual.count == expected.count, "\(actual.count) keys, expected \(expected.count)",
                sourceLocation: sourceLocation)
        for (a, e) in zip(actual, expected) where a != e {
            Issue.record("state dict has \(a) where torchvision has \(e)", sourceLocation: sourceLocation)
            break
        }
        let modules = Dictionary(uniqueKeysWithValues: module.namedModules().map { ($0.name, $0.module) })
        for layer in layers {
            switch layer {
            case let .conv(path, _, stride, padding):
                let conv = try #require(modules[path] as? Conv2d, "\(path) is not a Conv2d",
                                        sourceLocation: sourceLocation)
                #expect(conv.stride == stride && conv.padding == padding && conv.bias == nil,
                        "\(path): stride \(conv.stride), padding \(conv.padding); expected \(stride), \(padding)",
                        sourceLocation: sourceLocation)
            case let .batchNorm(path, _, eps):
                let bn = try #require(modules[path] as? BatchNorm2d, "\(path) is not a BatchNorm2d",
                                      sourceLocation: sourceLocation)
                #expect(bn.eps == eps, "\(path): eps \(bn.eps), expected \(eps)", sourceLocation: sourceLocation)
            }
        }
    }

    /// Fills `module` as the fixtures' procedural.py fills the network's state-dict keys (j counting the keys in
    /// order, num_batches_tracked left out).
    static func fillProcedurally(_ module: Module) throws {
        var values: [String: Tensor] = [:]
        let keys = try module.stateDict().filter { !$0.name.hasSuffix("num_batches_tracked") }
        for (j, entry) in keys.enumerated() {
            values[entry.name] = try Procedural.value(name: entry.name, shape: entry.tensor.shape, index: j)
        }
        try module.load(stateDict: values)
    }

    /// Per row of `features` [N, D]: the values at `indices`, the norm, and the dot product with the procedural
    /// probe of length D (catches a difference anywhere in the vector), in float64.
    static func summary(_ features: Tensor, indices: [Int]) throws -> [(values: [Double], norm: Double, probe: Double)]
    {
        let f = try features.to(dtype: .float64)
        let probe = try Procedural.input([f.size(1)]).to(dtype: .float64)
        return try (0..<f.size(0)).map { i in
            let row = try f[i]
            let all = try row.doubles()
            return (indices.map { all[$0] }, try row.norm().item(), try (row * probe).sum().item())
        }
    }
}
