@testable import Checkpoints
import Foundation
import Testing
import Torch

/// TorchScript archives read as data. Resources/torchscript_small.pt is `torch.jit.script(Outer()).save(...)`
/// (its `.debug_pkl` source maps left out, which `torch.jit.load` does not need) of
/// `Outer` (parameter `scale` = [0.5, -1.5], `note: Optional[int] = None`, `name = "outer"`, submodule `inner`)
/// and `Inner` (parameter `weight` = arange(6) as [2, 3], int64 buffer `steps` = [7, 8], `sizes: List[int]` = [3, 4]).
@Suite("TorchScript archives")
struct TorchScriptTests {
    @Test func readsTheModuleTree() throws {
        let root = try TorchScript.load(try Fixtures.resource("torchscript_small.pt"))
        #expect(root.qualifiedName == "__torch__.Outer")
        #expect(try root.attribute("training").bool() == true, "saved in training mode")
        #expect(try root.attribute("note").isNone)
        #expect(try root.attribute("name").string() == "outer")
        let inner = try root.attribute("inner").object()
        #expect(inner.qualifiedName == "__torch__.Inner")
        #expect(try inner.attribute("sizes").object().qualifiedName == "torch.jit._pickle.build_intlist")

        let tensors = try root.torchScriptTensors()
        #expect(tensors.names == ["scale", "inner.weight", "inner.steps"])
        #expect(try tensors.tensor("scale").array(of: Float.self) == [0.5, -1.5])
        #expect(try tensors.tensor("inner.weight").shape == [2, 3])
        #expect(try tensors.tensor("inner.weight").array(of: Float.self) == [0, 1, 2, 3, 4, 5])
        #expect(try tensors.tensor("inner.steps").array(of: Int64.self) == [7, 8])
    }

    /// A one-module archive whose data.pkl is `pickle` (a module object unless a test says otherwise).
    private func archive(_ pickle: PickleBytes) throws -> [UInt8] {
        let sink = MemorySink()
        var writer = ZipWriter(sink: sink, file: "m.pt")
        try pickle.bytes.withUnsafeBytes { try writer.add("m/data.pkl", $0) }
        try [Float(2)].withUnsafeBytes { try writer.add("m/data/0", $0) }
        try writer.finish()
        return sink.bytes
    }

    /// `__torch__.Net` with attribute `name` set to what `value` pushes.
    private func module(_ value: (PickleBytes) -> Void, protocol version: UInt8 = 2) -> PickleBytes {
        let pickle = PickleBytes(protocol: version)
        pickle.global("__torch__", "Net").op(")").raw([0x81]).op("}").mark().string("name")
        value(pickle)
        return pickle.op("u").op("b").stop()
    }

    @Test func readsAHandMadeModule() throws {
        let bytes = try archive(module { $0.tensor(key: "0", numel: 1, offset: 0, size: [1], stride: [1]) })
        let tensors = try TorchScript.decode(bytes, name: "m.pt").torchScriptTensors()
        #expect(tensors.names == ["name"])
        #expect(try tensors.tensor("name").array(of: Float.self) == [2])
    }

    /// Any global outside TorchScript's vocabulary fails the read where it is named, by GLOBAL, STACK_GLOBAL or
    /// INST, even though the general reader would record it inertly.
    @Test func refusesOtherGlobals() throws {
        let call = try archive(module { $0.global("posix", "system").string("echo").raw([0x85]).op("R") })
        expectFailure("m.pt: the pickle names posix.system") { _ = try TorchScript.decode(call, name: "m.pt") }
        #expect(throws: Never.self) { _ = try TorchCheckpoint.decode(call, name: "m.pt") }

        let stacked = try archive(module({ $0.string("builtins").string("eval").raw([0x93]) }, protocol: 4))
        expectFailure("names builtins.eval") { _ = try TorchScript.decode(stacked, name: "m.pt") }

        let inst = try archive(module { $0.mark().string("x").op("i", Array("os\nremove\n".utf8)) })
        expectFailure("names os.remove") { _ = try TorchScript.decode(inst, name: "m.pt") }

        let otherTorch = try archive(module { $0.global("torch.storage", "_load_from_bytes") })
        expectFailure("names torch.storage._load_from_bytes") { _ = try TorchScript.decode(otherTorch, name: "m.pt") }
    }

    @Test func rejectsWhatIsNotAnArchive() throws {
        let dict = PickleBytes().op("}").stop()
        expectFailure("m.pt: data.pkl holds a dict, not a TorchScript module") {
            _ = try TorchScript.decode(try archive(dict), name: "m.pt")
        }
        expectFailure("x.pt: not a zip archive") { _ = try TorchScript.decode(Array("hello".utf8), name: "x.pt") }
        let whole = try Fixtures.resourceBytes("torchscript_small.pt")
        for cut in [whole.count / 3, whole.count - 10] {
            expectFailure("small.pt: ") { _ = try TorchScript.decode(Array(whole.prefix(cut)), name: "small.pt") }
        }
        expectFailure("missing.pt: cannot open") { _ = try TorchScript.load("/nonexistent/missing.pt") }
    }

    /// Damaged archives, and damaged module pickles re-zipped with correct CRCs, load or fail with a
    /// `CheckpointError`, never otherwise.
    @Test(.timeLimit(.minutes(2)))
    func fuzzedArchives() throws {
        let seed = try Fixtures.resourceBytes("torchscript_small.pt")
        FuzzTests.fuzz("fuzz.pt", seed: seed, fields: FuzzTests.zipFields(seed), count: 300, rngSeed: 21) {
            _ = try TorchScript.decode($0, name: "fuzz.pt").torchScriptTensors()
        }
        let members: [(String, [UInt8])] = try seed.withUnsafeBytes { raw in
            let zip = try ZipArchive(raw, file: "small.pt")
            // The compiled code (deflated records) is never read; the pickle and storages are stored.
            return try zip.entries.filter { !$0.name.contains("/code/") }
                .map { ($0.name, Array(try zip.contents(of: $0, verify: true))) }
        }
        let pickleIndex = try #require(members.firstIndex { $0.0.hasSuffix("/data.pkl") })
        let loaded = FuzzTests.fuzz("fuzz.pt", seed: members[pickleIndex].1, count: 500, rngSeed: 22) { pickle in
            var rezipped = members
            rezipped[pickleIndex].1 = pickle
            _ = try TorchScript.decode(try ZipTests.archive(rezipped), name: "fuzz.pt").torchScriptTensors()
        }
        #expect(loaded > 0 && loaded < 500)
    }
}
