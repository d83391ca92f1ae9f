import Foundation
import Torch

/// Reads TorchScript archives (`torch.jit.save`, as NVIDIA publishes its metric networks) as data: the module tree
/// pickled in `<archive>/data.pkl`, with its tensors. The compiled code under `<archive>/code/` is never read,
/// interpreted or run.
///
/// A scripted module pickles as an object of its class `__torch__.<qualified name>` whose attributes are its
/// parameters, buffers, submodules and plain fields (`training`, ints, None). The unpickler here accepts only such
/// classes, the tensor rebuild functions, `collections.OrderedDict`, torch storage types and TorchScript's typed
/// container helpers; any other global fails the read as soon as it is named.
public enum TorchScript {
    /// The root module of the archive at `path`.
    public static func load(_ path: String) throws -> PickleObject {
        let mapped = try MappedFile(path: path)
        return try withExtendedLifetime(mapped) { try decode(mapped.bytes, file: path) }
    }

    /// The root module of an archive held in memory; `name` stands for the file in errors.
    public static func decode(_ bytes: some ContiguousBytes, name: String) throws -> PickleObject {
        try bytes.withUnsafeBytes { try decode($0, file: name) }
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, file: String) throws -> PickleObject {
        guard ZipArchive.startsLikeZip(bytes) else {
            throw CheckpointError.invalid(file: file, message: "not a zip archive; a TorchScript file is one")
        }
        let root = try TorchCheckpoint.decodeZip(bytes, file: file, allowsGlobal: allows)
        guard case .object(let module) = root, module.isTorchScript else {
            throw CheckpointError.invalid(file: file, message:
                "data.pkl holds a \(root.typeName), not a TorchScript module (a torch.save file is read with "
                    + "TorchCheckpoint)")
        }
        return module
    }

    /// The globals a TorchScript data.pkl is written with (torch/csrc/jit/serialization/pickler.cpp).
    static func allows(module: String, name: String) -> Bool {
        switch module {
        case "__torch__": true
        case _ where module.hasPrefix("__torch__."): true
        case "torch._utils": name == "_rebuild_tensor_v2"
        case "collections": name == "OrderedDict"
        case "torch": name.hasSuffix("Storage")
        case "torch.jit._pickle":
            ["restore_type_tag", "build_intlist", "build_doublelist", "build_boollist", "build_tensorlist"]
                .contains(name)
        default: false
        }
    }
}

extension PickleObject {
    /// Nesting below which `torchScriptTensors` looks; deeper trees are hostile, not networks.
    private static let maxModuleDepth = 64
    /// Attributes `torchScriptTensors` may visit; memoised objects can be shared many times over.
    private static let maxModuleVisits = 1_000_000

    /// Whether this is an instance of a TorchScript class (`__torch__.*`).
    public var isTorchScript: Bool { module == "__torch__" || module.hasPrefix("__torch__.") }

    /// Every tensor of this TorchScript module and its submodules, named by attribute path as `state_dict()` names
    /// parameters and buffers ("layers.conv1.weight"), in attribute order. Plain fields (`training`, ints, None,
    /// strings) and typed containers are skipped.
    public func torchScriptTensors() throws -> StateDict {
        var result = StateDict()
        var visits = 0
        func walk(_ object: PickleObject, prefix: String, depth: Int) throws {
            guard depth <= Self.maxModuleDepth else {
                throw CheckpointError.lookup(file: "", message: "TorchScript modules nested deeper than \(depth - 1)")
            }
            for (key, value) in object.attributes {
                visits += 1
                guard visits <= Self.maxModuleVisits else {
                    throw CheckpointError.lookup(file: "", message: "TorchScript module tree shares too much")
                }
                guard case .string(let name) = key else { continue }
                let path = prefix.isEmpty ? name : prefix + "." + name
                switch value {
                case .tensor(let tensor): result[path] = tensor
                case .object(let child) where child.isTorchScript: try walk(child, prefix: path, depth: depth + 1)
                default: break
                }
            }
        }
        try walk(self, prefix: "", depth: 0)
        return result
    }
}
