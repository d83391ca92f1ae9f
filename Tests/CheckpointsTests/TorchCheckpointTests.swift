import Checkpoints
import Foundation
import TestSupport
import Testing
import Torch

/// Resources/features_*.pt, tensor_v3.pt and big_endian.pt were made once with torch 2.13 by a short
/// script (not part of the package):
///
///     base = torch.arange(20, dtype=torch.float32).reshape(4, 5)
///     features = {"base": base, "rows": base[1:3], "transposed": base.t(), "every_other": base[:, ::2],
///         "f16": tensor([1, -2, 0.5], float16), "bf16": same in bfloat16, "f64": [1.25, -3.5],
///         "i64": [-(2**40), 7], "i32": [-5, 6], "i16": [-300, 301], "i8": [-7, 8], "u8": [0, 255],
///         "mask": [True, False, True], "scalar": tensor(3.5), "empty": zeros(0, 3),
///         "param": nn.Parameter(full((2,), 0.25)), "ordered": OrderedDict(z=1, a=2), "set": {1, 2, 3},
///         "frozen": frozenset(["x"]), "big": 2**100, "negative_big": -(2**70), "bytes": b"\x00\xff",
///         "bytearray": bytearray(b"ab"), "float": 1.5, "none": None, "flag": True, "tuple": (1, "two", 3.0),
///         "nested": [1, [2, 3], {"k": "v"}], "int_keys": {1: "one", 2: "two"},
///         "args": argparse.Namespace(size=64, name="tiny", lr=0.002), "np_scalar": numpy.float64(2.5)}
///     torch.save(features, "features_p2.pt")                       # zip format, pickle protocol 2
///     torch.save(features, "features_p5.pt", pickle_protocol=5)
///     torch.save(features, "features_legacy.pt", _use_new_zipfile_serialization=False)
///     # tensor_v3.pt: {"v3": x[:, 1:]} for x = arange(6.).reshape(2, 3), pickled through an object whose
///     # __reduce_ex__ returns (_rebuild_tensor_v3, (x.untyped_storage(), 1, (2, 2), (3, 1), False,
///     # OrderedDict(), torch.float32)), the form torch uses for dtypes without a typed storage class.
///     # big_endian.pt: torch.save({"f32": [1, -2, 3.5], "i64": [1, -2, 2**40]}) rewritten with zipfile so
///     # that the byteorder record says "big" and each storage is byte-swapped.
@Suite("torch.save checkpoints")
struct TorchCheckpointTests {
    @Test(arguments: ["features_p2.pt", "features_p5.pt", "features_legacy.pt"])
    func readsEveryFeature(file: String) throws {
        let ckpt = try TorchCheckpoint.load(try Fixtures.resource(file))

        // Four views of one storage: offsets and strides must all land on the right elements.
        let base = try ckpt["base"].tensor()
        #expect(base.shape == [4, 5])
        #expect(try base.floats() == (0..<20).map(Float.init))
        let rows = try ckpt["rows"].tensor()
        #expect(rows.shape == [2, 5])
        #expect(try rows.floats() == (5..<15).map(Float.init))
        let transposed = try ckpt["transposed"].tensor()
        #expect(transposed.shape == [5, 4])
        #expect(transposed.strides == [1, 5])
        #expect(try transposed.contiguous().floats() == (0..<5).flatMap { column in (0..<4).map { Float($0 * 5 + column) } })
        let everyOther = try ckpt["every_other"].tensor()
        #expect(everyOther.shape == [4, 3])
        #expect(try everyOther.contiguous().floats() == [0, 2, 4, 5, 7, 9, 10, 12, 14, 15, 17, 19])

        let f16 = try ckpt["f16"].tensor()
        #expect(f16.dtype == .float16)
        #expect(try f16.floats() == [1, -2, 0.5])
        let bf16 = try ckpt["bf16"].tensor()
        #expect(bf16.dtype == .bfloat16)
        #expect(try bf16.floats() == [1, -2, 0.5])
        #expect(try ckpt["f64"].tensor().doubles() == [1.25, -3.5])
        #expect(try ckpt["i64"].tensor().int64s() == [-(1 << 40), 7])
        #expect(try ckpt["i32"].tensor().array(of: Int32.self) == [-5, 6])
        let i16 = try ckpt["i16"].tensor()
        #expect(i16.dtype == .int16)
        #expect(try i16.int64s() == [-300, 301])
        let i8 = try ckpt["i8"].tensor()
        #expect(i8.dtype == .int8)
        #expect(try i8.int64s() == [-7, 8])
        #expect(try ckpt["u8"].tensor().array(of: UInt8.self) == [0, 255])
        #expect(try ckpt["mask"].tensor().array(of: Bool.self) == [true, false, true])
        let scalar = try ckpt["scalar"].tensor()
        #expect(scalar.shape == [])
        #expect(try scalar.item() == 3.5)
        #expect(try ckpt["empty"].tensor().shape == [0, 3])
        #expect(try ckpt["param"].tensor().floats() == [0.25, 0.25])

        let ordered = try ckpt["ordered"].dict()
        #expect(ordered.stringKeys == ["z", "a"])
        #expect(try ordered["a"]?.int() == 2)
        #expect(try ckpt["set"].elements().map { try $0.int() }.sorted() == [1, 2, 3])
        #expect(try ckpt["frozen"].elements().map { try $0.string() } == ["x"])
        guard case .bigInt(let big) = try ckpt["big"] else { throw CheckpointError.lookup(file: file, message: "big") }
        #expect(big.description == "1267650600228229401496703205376")
        guard case .bigInt(let negative) = try ckpt["negative_big"] else {
            throw CheckpointError.lookup(file: file, message: "negative_big")
        }
        #expect(negative.description == "-1180591620717411303424")
        expectFailure("does not fit") { _ = try ckpt["big"].int() }
        #expect(try ckpt["bytes"].bytes() == [0, 255])
        #expect(try ckpt["bytearray"].bytes() == Array("ab".utf8))
        #expect(try ckpt["float"].double() == 1.5)
        #expect(try ckpt["none"].isNone)
        #expect(try ckpt["flag"].bool())
        let tuple = try ckpt["tuple"]
        guard case .tuple = tuple else { throw CheckpointError.lookup(file: file, message: "tuple") }
        #expect(try tuple[1].string() == "two")
        #expect(try tuple[2].double() == 3)
        #expect(try ckpt["nested"][1][1].int() == 3)
        #expect(try ckpt["nested"][2]["k"].string() == "v")
        let intKeys = try ckpt["int_keys"].dict()
        #expect(try intKeys.keys.map { try $0.int() } == [1, 2])

        // Unknown classes stay inert, with what the pickle recorded.
        let args = try ckpt["args"].object()
        #expect(args.qualifiedName == "argparse.Namespace")
        #expect(try ckpt["args"].attribute("size").int() == 64)
        #expect(try ckpt["args"].attribute("name").string() == "tiny")
        #expect(try ckpt["args"].attribute("lr").double() == 0.002)
        expectFailure("no attribute 'missing'") { _ = try ckpt["args"].attribute("missing") }
        let scalarObject = try ckpt["np_scalar"].object()
        #expect(scalarObject.name == "scalar")
        #expect(scalarObject.module.hasPrefix("numpy"))
        #expect(scalarObject.arguments.count == 2)
        // numpy.float64(2.5) is pickled as scalar(dtype('float64'), <its 8 little-endian bytes>).
        #expect(try scalarObject.arguments[1].bytes() == withUnsafeBytes(of: 2.5.bitPattern.littleEndian, Array.init))

        let tensors = try ckpt.stateDict()
        #expect(tensors.names.prefix(4) == ["base", "rows", "transposed", "every_other"])
        #expect(tensors.count == 16)
    }

    @Test func readsRebuildTensorV3OverUntypedStorage() throws {
        let ckpt = try TorchCheckpoint.load(try Fixtures.resource("tensor_v3.pt"))
        let tensor = try ckpt["v3"].tensor()
        #expect(tensor.dtype == .float32)
        #expect(tensor.shape == [2, 2])
        #expect(try tensor.contiguous().floats() == [1, 2, 4, 5])
    }

    @Test func byteSwapsBigEndianArchives() throws {
        let ckpt = try TorchCheckpoint.load(try Fixtures.resource("big_endian.pt"))
        #expect(try ckpt["f32"].tensor().floats() == [1, -2, 3.5])
        #expect(try ckpt["i64"].tensor().int64s() == [1, -2, 1 << 40])
    }

    @Test func loadsTheRosinalityGenerator() throws {
        let config = try JSON(contentsOf: try Fixtures.shared("stylegan2-tiny64/config.json"))
        let size = try config["size"].int(), styleDim = try config["style_dim"].int(), nMLP = try config["n_mlp"].int()
        let numLayers = try config["num_layers"].int()
        let channels4 = try config["channels"]["4"].int()

        let ckpt = try TorchCheckpoint.load(try Fixtures.shared("stylegan2-tiny64/generator.pt"))
        let g = try ckpt["g_ema"].stateDict()
        // Mapping (weight, bias per layer), const input, conv1 (5), to_rgb1 (4), one noise buffer per layer,
        // then per resolution above 4: an upsampling conv (6, with its blur kernel), a conv (5), a ToRGB (5).
        let levels = Int(log2(Double(size))) - 2
        #expect(g.count == 2 * nMLP + 1 + 5 + 4 + numLayers + levels * 16)
        #expect(g.count == 91)
        #expect(try g.tensor("style.1.weight").shape == [styleDim, styleDim])
        #expect(try g.tensor("input.input").shape == [1, channels4, 4, 4])
        #expect(try g.tensor("conv1.conv.weight").shape == [1, channels4, channels4, 3, 3])
        #expect(try g.tensor("conv1.conv.modulation.weight").shape == [channels4, styleDim])
        #expect(try g.tensor("to_rgb1.conv.weight").shape == [1, 3, channels4, 1, 1])
        #expect(try g.tensor("convs.0.conv.blur.kernel").shape == [4, 4])
        #expect(try g.tensor("noises.noise_\(numLayers - 1)").shape == [1, 1, size, size])
        #expect(g.names.first == "style.1.weight")
        // PyTorch attaches each module's version to a state dict as `_metadata`, set by BUILD.
        let metadata = try #require(try ckpt["g_ema"].dict().state)
        #expect(try metadata["_metadata"].dict().count > 0)
        // The whole state dict in one flat view, as `stateDict` on the root builds it.
        #expect(try ckpt.stateDict().count == g.count + 1)
        let parameters = g.reduce(0) { $0 + $1.tensor.count }
        #expect(try parameters >= config["params"].int())

        let latentAvg = try ckpt["latent_avg"].tensor()
        #expect(latentAvg.shape == [styleDim])
        let cases = try Safetensors.read(try Fixtures.shared("stylegan2-tiny64/cases.safetensors"))
        #expect(try latentAvg.bytes() == cases.tensors.tensor("latent_avg").bytes())

        let args = try ckpt["args"]
        #expect(try args.object().qualifiedName == "argparse.Namespace")
        #expect(try args.attribute("size").int() == size)
        #expect(try args.attribute("n_mlp").int() == nMLP)
        #expect(try args.attribute("channel_multiplier").int() == config["channel_multiplier"].int())
    }

    @Test func loadsLPIPSAlexNetWeights() throws {
        let backbone = try TorchCheckpoint.load(try Fixtures.shared("lpips-alex/alexnet_backbone.pt")).stateDict()
        #expect(backbone.names == ["features.0.weight", "features.0.bias", "features.3.weight", "features.3.bias",
                                   "features.6.weight", "features.6.bias", "features.8.weight", "features.8.bias",
                                   "features.10.weight", "features.10.bias"])
        #expect(try backbone.tensor("features.0.weight").shape == [64, 3, 11, 11])
        #expect(try backbone.tensor("features.3.weight").shape == [192, 64, 5, 5])
        #expect(try backbone.tensor("features.10.bias").shape == [256])

        // The published v0.1 linear layers are in the pre-1.6 stream format, saved from CUDA.
        let lin = try TorchCheckpoint.load(try Fixtures.shared("lpips-alex/lpips_alex_lin_v0.1.pth")).stateDict()
        #expect(lin.names == (0..<5).map { "lin\($0).model.1.weight" })
        for (name, channels) in zip(lin.names, [64, 192, 384, 256, 256]) {
            let weight = try lin.tensor(name)
            #expect(weight.shape == [1, channels, 1, 1])
            #expect(try weight.floats().allSatisfy { $0.isFinite && $0 >= 0 })
        }
    }

    @Test func readsNVIDIANetworkPickles() throws {
        let snapshot = try Pickle.load(try Fixtures.shared("nvidia-pkl64/network-snapshot.pkl"))
        // G_ema is a persistent class: an inert call whose single argument holds its constructor arguments
        // and module state; its tensors come from torch.storage._load_from_bytes blobs.
        let gEma = try snapshot["G_ema"].object()
        #expect(gEma.qualifiedName == "torch_utils.persistence._reconstruct_persistent_obj")
        let meta = gEma.arguments[0]
        #expect(try meta["class_name"].string() == "Generator")
        let mapping = try meta["state"]["_modules"]["mapping"].object().arguments[0]
        let wAvg = try mapping["state"]["_buffers"]["w_avg"].tensor()
        let cases = try Safetensors.read(try Fixtures.shared("nvidia-pkl64/cases.safetensors"))
        #expect(try wAvg.bytes() == cases.tensors.tensor("w_avg").bytes())
        #expect(try meta["state"]["_init_kwargs"]["synthesis_kwargs"]["conv_clamp"].int() == 8)
    }

    @Test func rejectsWhatItCannotRead() throws {
        expectFailure("not a PyTorch checkpoint") { _ = try TorchCheckpoint.decode(Array("hello".utf8), name: "x.pt") }
        expectFailure("x.pt: ") { _ = try TorchCheckpoint.decode([UInt8](), name: "dir/x.pt") }
        var tar = [UInt8](repeating: 0, count: 1024)
        tar.replaceSubrange(257..<262, with: Array("ustar".utf8))
        expectFailure("tar-format checkpoint") { _ = try TorchCheckpoint.decode(tar, name: "old.pt") }
        expectFailure("no <archive>/data.pkl") {
            _ = try TorchCheckpoint.decode(try NumPy.encodeArchive(["a": try Tensor([Float(1)])]), name: "a.pt")
        }
        expectFailure("missing.pt: cannot open") { _ = try TorchCheckpoint.load("/nonexistent/missing.pt") }
    }
}
