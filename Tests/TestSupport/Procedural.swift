import Foundation
import Testing
import Torch

/// The fixtures' procedural weights and inputs (`../shared/fixtures/procedural.py`), re-implemented so that big
/// reference networks are checked without shipping random weights.
///
/// For the j-th key (0-based) with n elements, i = 0..<n and s = sin(0.7 i + 1.3 j + 0.5) in float64, stored as
/// float32: running_var 1 + 0.25 (s + 1); running_mean 0.1 s; ndim >= 2: (2 / sqrt(n / shape[0])) s;
/// 1-D weight 0.8 + 0.2 s; bias 0.1 s; anything else 0.5 s. num_batches_tracked keys are not in the list.
public enum Procedural {
    public struct Key: Decodable, Sendable {
        public let name: String
        public let shape: [Int]

        public init(name: String, shape: [Int]) {
            self.name = name
            self.shape = shape
        }
    }

    /// The value the fill gives key `name` of `shape` at position `j`.
    public static func value(name: String, shape: [Int], index j: Int) throws -> Tensor {
        let n = shape.reduce(1, *)
        let i = try Tensor.arange(0, Double(n), dtype: .float64)
        let s = try (i * 0.7 + (1.3 * Double(j) + 0.5)).sin()
        let v: Tensor
        if name.hasSuffix("running_var") {
            v = try (s + 1) * 0.25 + 1
        } else if name.hasSuffix("running_mean") {
            v = try s * 0.1
        } else if shape.count >= 2 {
            v = try s * (2 / (Double(n) / Double(shape[0])).squareRoot())
        } else if name.hasSuffix("weight") {
            v = try s * 0.2 + 0.8
        } else if name.hasSuffix("bias") {
            v = try s * 0.1
        } else {
            v = try s * 0.5
        }
        return try v.reshape(shape).to(dtype: .float32)
    }

    /// A state dict filled from an ordered key list (j counts from 0 within the list).
    public static func stateDict(_ keys: [Key]) throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (j, key) in keys.enumerated() { out[key.name] = try value(name: key.name, shape: key.shape, index: j) }
        return out
    }

    /// Loads the fill of `module`'s own keys (in order, `num_batches_tracked` aside) into it: weights that are the
    /// same on every run, unlike a fresh network's, and keep activations in range through deep networks.
    public static func fill(_ module: Module) throws {
        let keys = try module.stateDict().filter { !$0.name.hasSuffix("num_batches_tracked") }
            .map { Key(name: $0.name, shape: $0.tensor.shape) }
        try module.load(stateDict: stateDict(keys), strict: true)
    }

    /// Element k of the flattened input is 0.9 sin(0.05 k + 0.1).
    public static func input(_ shape: [Int]) throws -> Tensor {
        let n = shape.reduce(1, *)
        let k = try Tensor.arange(0, Double(n), dtype: .float64)
        return try ((k * 0.05 + 0.1).sin() * 0.9).reshape(shape).to(dtype: .float32)
    }

    /// The key lists of a fixture's keys.json: `modules` maps each network to its keys; a plain `keys` list is
    /// returned under the name "model".
    public static func keyLists(_ relative: String) throws -> [String: [Key]] {
        struct File: Decodable {
            let keys: [Key]?
            let modules: [String: [Key]]?
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: try Fixtures.path(relative)))
        let file = try JSONDecoder().decode(File.self, from: data)
        if let modules = file.modules { return modules }
        if let keys = file.keys { return ["model": keys] }
        throw TorchError("\(relative): no keys or modules list")
    }
}

/// The module's state dict is the fixture's key list (names, order, shapes; `num_batches_tracked` aside) and its
/// parameter count is `official`, the trainable entries of that list.
public func expectKeysAndParameterCount(_ module: Module, _ keys: [Procedural.Key], official: Int,
                                        sourceLocation: SourceLocation = #_sourceLocation) throws
{
    let ours = try module.stateDict().filter { !$0.name.hasSuffix("num_batches_tracked") }
    #expect(ours.map(\.name) == keys.map(\.name), sourceLocation: sourceLocation)
    #expect(ours.map(\.tensor.shape) == keys.map(\.shape), sourceLocation: sourceLocation)
    let trainable = keys.filter { !$0.name.hasSuffix("running_mean") && !$0.name.hasSuffix("running_var") }
    #expect(official == trainable.reduce(0) { $0 + $1.shape.reduce(1, *) }, sourceLocation: sourceLocation)
    #expect(module.parameterCount == official, sourceLocation: sourceLocation)
}

/// A reference network with the procedural weights of a fixture's key list, and the fixture's cases: the set-up
/// the perception parity suites share. `directory` holds `keys.json` (the list named `list`) and `cases.safetensors`.
public struct ProceduralFixture<Net: Module> {
    public let keys: [Procedural.Key]
    public let net: Net
    public let cases: [String: Tensor]

    public init(_ directory: String, list: String = "net", build: () throws -> Net) throws {
        try Runtime.start()
        keys = try #require(Procedural.keyLists("\(directory)/keys.json")[list])
        net = try build()
        try net.load(stateDict: Procedural.stateDict(keys), strict: true)
        cases = try Fixtures.cases("\(directory)/cases.safetensors")
    }

    public func ref(_ key: String) throws -> Tensor { try #require(cases[key], "fixture case \(key) missing") }

    /// Our state-dict keys and shapes are the list's, and the parameter count the official files'.
    public func expectOfficialKeys(parameterCount: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try expectKeysAndParameterCount(net, keys, official: parameterCount, sourceLocation: sourceLocation)
    }
}
