@testable import Checkpoints
import Foundation
import Testing
import Torch

/// Resources/adam_resume.pt was made once with torch 2.13 by a short script (not part of the package):
///
///     torch.manual_seed(0); w = randn(2, 3, requires_grad=True); b = randn(3, requires_grad=True)
///     opt = Adam([{"params": [w], "lr": 0.01}, {"params": [b], "lr": 0.02, "amsgrad": True, "weight_decay": 0.1}])
///     sched = StepLR(opt, step_size=2, gamma=0.5)
///     step(grads): w.grad, b.grad = grads; opt.step(); sched.step()
///     3 x step((randn(2, 3), randn(3)))
///     saved = {"optimizer": deepcopy(opt.state_dict()), "scheduler": deepcopy(sched.state_dict()),
///              "params": [w, b] (copies)}     # state_dict() holds live references: copied before stepping on
///     grads = 2 x (randn(2, 3), randn(3)); step(g) for g in grads
///     saved["grads"] = grads (as lists); saved["next"] = [w, b] (copies)
///     saved["args"] = argparse.Namespace(path="lmdb", iter=800000, batch=16, size=256, r1=10.0, d_reg_every=16,
///         mixing=0.9, ckpt=None, lr=0.002, channel_multiplier=2, augment=False, augment_p=0.0, wandb=False)
///     torch.save(saved, "adam_resume.pt")
@Suite("torch.save writer")
struct TorchCheckpointWriterTests {
    @Test func everyKindReadsBack() throws {
        let ints = [0, 1, 255, 256, 65535, 65536, -1, -129, Int(Int32.min), Int(Int32.max), 1 << 31, -(1 << 31) - 1,
                    1 << 40, -(1 << 40), 0x7F_FFFF_FFFF, Int.max, Int.min]
        let floats = [1.5, -0.0, .infinity, -.infinity, 1e-300, .nan]
        let matrix = try Tensor.arange(0, 6, dtype: .float32).reshape([2, 3])
        let shared = try Tensor([7.0, 8.0])
        let tensors: [(String, Tensor)] = [
            ("f32", matrix), ("transposed", try matrix.transpose(0, 1)), ("f64", try .scalar(2.5, dtype: .float64)),
            ("i64", try Tensor([Int64(-(1 << 40)), 7])), ("mask", try Tensor([true, false])),
            ("bf16", try Tensor([Float(1), -2]).to(dtype: .bfloat16)), ("f16", try Tensor([Float(0.5)]).to(dtype: .float16)),
            ("u8", try Tensor([UInt8(0), 255])), ("i32", try Tensor([Int32(-5)])), ("i16", try Tensor([Int64(-300)]).to(dtype: .int16)),
            ("i8", try Tensor([Int64(-7)]).to(dtype: .int8)), ("empty", try Tensor.zeros([0, 3])),
        ]
        let value = CheckpointValue.dict([
            "ints": .list(ints.map(CheckpointValue.int)), "floats": .tuple(floats.map(CheckpointValue.float)),
            "strings": .list([.string(""), .string("ünïcode ✓"), .string("again"), .string("again")]),
            "flags": .tuple([.bool(true), .bool(false), .none]),
            "tuples": .list([.tuple([]), .tuple([.int(1)]), .tuple([.int(1), .int(2)]),
                             .tuple([.int(1), .int(2), .int(3)]), .tuple([.int(1), .int(2), .int(3), .int(4)])]),
            "int_keys": .dict([(key: .int(3), value: .string("three")), (key: .int(-1), value: .list([]))]),
            "ordered": .orderedDict([(key: "z", value: .int(1)), (key: "a", value: .dict([]))]),
            "tensors": .orderedDict(tensors.map { (key: $0.0, value: .tensor($0.1)) }),
            "shared": .list([.tensor(shared), .tensor(shared)]),
            "long": .list((0..<2500).map(CheckpointValue.int)),
            "wide": .dict((0..<1001).map { (key: .string("k\($0)"), value: .int($0)) }),
            "args": .namespace([(name: "size", value: .int(64)), (name: "lr", value: .float(0.002)),
                                (name: "ckpt", value: .none)]),
        ])
        let bytes = try TorchCheckpoint.encode(value)
        let read = try TorchCheckpoint.decode(bytes, name: "memory")

        #expect(try read["ints"].elements().map { try $0.int() } == ints)
        let readFloats = try read["floats"].elements().map { try $0.double() }
        #expect(readFloats.map(\.bitPattern) == floats.map(\.bitPattern))
        #expect(try read["strings"].elements().map { try $0.string() } == ["", "ünïcode ✓", "again", "again"])
        #expect(try read["flags"][0].bool() && !(try read["flags"][1].bool()) && read["flags"][2].isNone)
        #expect(try read["tuples"].elements().map { try $0.elements().count } == [0, 1, 2, 3, 4])
        let intKeys = try read["int_keys"].dict()
        #expect(intKeys.keys.map { try? $0.int() } == [3, -1])
        #expect(try read["ordered"].dict().stringKeys == ["z", "a"])
        for (name, tensor) in tensors {
            let found = try read["tensors"][name].tensor()
            #expect(found.dtype == tensor.dtype && found.shape == tensor.shape, "\(name)")
            #expect(try found.contiguous().bytes() == tensor.contiguous().bytes(), "\(name)")
        }
        #expect(try read["long"].elements().map { try $0.int() } == Array(0..<2500))
        #expect(try read["wide"].dict().count == 1001 && read["wide"]["k1000"].int() == 1000)
        let args = try read["args"]
        #expect(try args.object().qualifiedName == "argparse.Namespace")
        #expect(try args.attribute("size").int() == 64 && args.attribute("lr").double() == 0.002)
        #expect(try args.attribute("ckpt").isNone)

        // One storage for the tensor written twice, so it reads back as one tensor.
        let archive = try bytes.withUnsafeBytes { try ZipArchive($0, file: "memory").entries.map(\.name) }
        #expect(archive.filter { $0.hasPrefix("archive/data/") }.count == tensors.count + 1)
        #expect(try read["shared"][0].tensor() === read["shared"][1].tensor())
    }

    @Test func layoutIsTorchSaves() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/run.0100.pt"
        try TorchCheckpoint.save(.dict(["w": .tensor(try Tensor.ones([3])), "b": .tensor(try Tensor.zeros([2, 2]))]),
                                 to: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["run.0100.pt"])

        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        try bytes.withUnsafeBytes { raw in
            let archive = try ZipArchive(raw, file: path)
            #expect(archive.entries.map(\.name) == [
                "run.0100/data.pkl", "run.0100/.format_version", "run.0100/.storage_alignment", "run.0100/byteorder",
                "run.0100/data/0", "run.0100/data/1", "run.0100/version", "run.0100/.data/serialization_id",
            ])
            #expect(archive.entries.allSatisfy { $0.dataOffset % 64 == 0 })
            func text(_ name: String) throws -> String {
                let entry = try #require(archive.entry(named: "run.0100/" + name))
                return String(decoding: try archive.contents(of: entry, verify: true), as: UTF8.self)
            }
            #expect(try text("byteorder") == "little" && text("version") == "3\n" && text(".format_version") == "1")
            #expect(try text(".storage_alignment") == "64")
            let id = try text(".data/serialization_id")
            #expect(id.count == 40 && id.allSatisfy(\.isNumber))
            // Protocol 2, as torch.save writes by default.
            #expect(try Array(archive.contents(of: archive.entries[0], verify: true).prefix(2)) == [0x80, 2])
        }
        #expect(try TorchCheckpoint.load(path)["b"].tensor().shape == [2, 2])
        #expect(TorchCheckpoint.archiveName(for: "a/.hidden") == ".hidden")
        #expect(TorchCheckpoint.archiveName(for: "model") == "model")
    }

    @Test func aFailedSaveLeavesNothing() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/ckpt.pt"
        try TorchCheckpoint.save(.dict(["step": .int(1)]), to: path)
        #expect(throws: CheckpointError.self) { try TorchCheckpoint.save(.none, to: folder + "/missing/ckpt.pt") }
        // A folder in the way: the data is written, the rename fails, and the temporary file goes.
        try FileManager.default.createDirectory(atPath: folder + "/busy/inside", withIntermediateDirectories: true)
        let error = #expect(throws: CheckpointError.self) { try TorchCheckpoint.save(.int(2), to: folder + "/busy") }
        #expect(error?.message.contains("cannot rename") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["busy", "ckpt.pt"])
        #expect(try TorchCheckpoint.load(path)["step"].int() == 1)
    }

    /// PyTorch's saved Adam and StepLR states, loaded here, continue as PyTorch continued them.
    @Test func pythonStateResumesHere() throws {
        let file = try TorchCheckpoint.load(try Fixtures.resource("adam_resume.pt"))
        let params = try file["params"].elements().map { try $0.tensor().clone().requiresGrad(true) }
        let adam = try Adam(groups: [ParamGroup(params: [params[0]], lr: 1, options: .init()),
                                     ParamGroup(params: [params[1]], lr: 1, options: .init())])
        try adam.loadStateDict(try OptimizerState(file["optimizer"]))
        #expect(adam.learningRates == [0.005, 0.01])
        #expect(adam.paramGroups[1].options.amsgrad && adam.paramGroups[1].options.weightDecay == 0.1)
        let scheduler = try StepLR(adam, stepSize: 10)
        try scheduler.loadStateDict(try StateRecord(file["scheduler"]))
        #expect(scheduler.stepSize == 2 && scheduler.lastEpoch == 3 && scheduler.baseLRs == [0.01, 0.02])

        for grads in try file["grads"].elements() {
            for (param, grad) in zip(params, try grads.elements()) { try param.setGrad(try grad.tensor()) }
            try adam.step()
            scheduler.step()
        }
        for (param, expected) in zip(params, try file["next"].elements()) {
            #expect(try param.bytes() == expected.tensor().bytes())
        }
    }

    /// Our state dict of a loaded optimiser has PyTorch's keys and values, and rewriting PyTorch's whole file
    /// through the writer reads back as the original.
    @Test func writerReproducesPythonsCheckpoint() throws {
        let original = try TorchCheckpoint.load(try Fixtures.resource("adam_resume.pt"))
        let torchState = try OptimizerState(original["optimizer"])
        let params = try original["params"].elements().map { try $0.tensor().clone().requiresGrad(true) }
        let adam = try Adam(groups: [ParamGroup(params: [params[0]], lr: 1, options: .init()),
                                     ParamGroup(params: [params[1]], lr: 1, options: .init())])
        try adam.loadStateDict(torchState)
        let ours = try adam.stateDict()
        // StepLR adds "initial_lr" to PyTorch's groups; the optimiser alone has none. A group given as a dict
        // keeps its caller's keys first, so only the defaults-only group 0 has PyTorch's own order.
        let torchKeys = torchState.paramGroups.map { $0.keys.filter { $0 != "initial_lr" } }
        #expect(ours.paramGroups[0].keys == torchKeys[0])
        #expect(Set(ours.paramGroups[1].keys) == Set(torchKeys[1]))
        let rewrittenOurs = try TorchCheckpoint.decode(try TorchCheckpoint.encode(CheckpointValue(ours)), name: "ours")
        for index in [0, 1] {
            let mine = try rewrittenOurs["state"].dict().first { try $0.key.int() == index }?.value
            let theirs = try original["optimizer"]["state"].dict().first { try $0.key.int() == index }?.value
            #expect(same(try #require(mine), try #require(theirs)))
        }

        let rewritten = CheckpointValue.dict([
            "optimizer": CheckpointValue(torchState), "scheduler": CheckpointValue(try StateRecord(original["scheduler"])),
            "params": try CheckpointValue(original["params"]), "grads": try CheckpointValue(original["grads"]),
            "next": try CheckpointValue(original["next"]), "args": try CheckpointValue(original["args"]),
        ])
        let reread = try TorchCheckpoint.decode(try TorchCheckpoint.encode(rewritten, archiveName: "adam_resume"),
                                                name: "rewritten")
        #expect(same(reread, original))
    }

    @Test func optimizerStatesThatAreNotTorchsAreRefused() throws {
        let notADict = try TorchCheckpoint.decode(try TorchCheckpoint.encode(.list([])), name: "m")
        expectFailure("optimizer state is a list, not a dict") { _ = try OptimizerState(notADict) }
        let noGroups = try TorchCheckpoint.decode(try TorchCheckpoint.encode(.dict(["state": .dict([])])), name: "m")
        expectFailure("lacks 'state' or 'param_groups' (has: state)") { _ = try OptimizerState(noGroups) }
        let setInside = try TorchCheckpoint.decode(try TorchCheckpoint.encode(.dict([
            "state": .dict([]), "param_groups": .list([.dict(["lr": .dict([])])]),
        ])), name: "m")
        expectFailure("['param_groups'][0]['lr'] is a dict") { _ = try OptimizerState(setInside) }
    }
}

/// Whether two read values are the same: kinds, dict order, numbers bit for bit, tensors' dtype, shape and bytes.
func same(_ a: PickleValue, _ b: PickleValue) -> Bool {
    switch (a, b) {
    case (.none, .none): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.int(let x), .int(let y)): return x == y
    case (.float(let x), .float(let y)): return x.bitPattern == y.bitPattern
    case (.string(let x), .string(let y)): return x == y
    case (.list(let x), .list(let y)), (.tuple(let x), .tuple(let y)):
        return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
    case (.dict(let x), .dict(let y)):
        return x.count == y.count && zip(x, y).allSatisfy { same($0.key, $1.key) && same($0.value, $1.value) }
    case (.tensor(let x), .tensor(let y)):
        return x.dtype == y.dtype && x.shape == y.shape && (try? x.contiguous().bytes()) == (try? y.contiguous().bytes())
    case (.object(let x), .object(let y)):
        return x.qualifiedName == y.qualifiedName && same(.dict(x.attributes), .dict(y.attributes))
    default: return false
    }
}
