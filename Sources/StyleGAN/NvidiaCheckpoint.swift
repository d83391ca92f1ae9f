import Checkpoints
import Torch

/// Reads NVIDIA stylegan2-ada-pytorch snapshots (`.pkl`, the `G_ema` network) into the rosinality layout.
///
/// The snapshot pickles "persistent classes": each module is `_reconstruct_persistent_obj(meta)` whose
/// `meta["state"]` is the module's `__dict__` (`_parameters`, `_buffers`, `_modules`, constructor attributes).
/// The restricted unpickler keeps those calls inert, so the networks' source text in the file is never run; the
/// tensors are walked out of the states and renamed:
///
/// | stylegan2-ada-pytorch                          | rosinality                                   |
/// |------------------------------------------------|----------------------------------------------|
/// | mapping.fc{i}.weight / bias                    | style.{i+1}.weight / bias                    |
/// | mapping.w_avg                                  | latent_avg                                   |
/// | synthesis.b4.const [C, 4, 4]                   | input.input [1, C, 4, 4]                     |
/// | synthesis.b4.conv1                             | conv1                                        |
/// | synthesis.b4.torgb                             | to_rgb1                                      |
/// | synthesis.b{R}.conv0 / conv1 (R = 8 << i)      | convs.{2i} / convs.{2i+1}                    |
/// | synthesis.b{R}.torgb                           | to_rgbs.{i}                                  |
/// | {conv}.weight [O, I, k, k]                     | {conv}.conv.weight [1, O, I, k, k]           |
/// | {conv}.affine.weight / bias                    | {conv}.conv.modulation.weight / bias         |
/// | {conv}.bias                                    | {conv}.activate.bias (torgb: bias [1,3,1,1]) |
/// | {conv}.noise_strength [] / noise_const [R, R]  | {conv}.noise.weight [1] / noises.noise_l     |
///
/// Both implementations run the upsampling conv as a stride-2 transposed convolution of the unflipped weight
/// followed by the same [1,3,3,1] filter, so weights carry over as they are. `conv_clamp` (activations clamped
/// to ±clamp after the activation, ToRGB outputs after the bias) is read from the layers' state.
public enum NvidiaCheckpoint {
    public static func load(_ path: String, network: String = "G_ema") throws -> LoadedGenerator {
        let root = try Pickle.load(path)
        guard case .dict(let top) = root else {
            throw CheckpointError.invalid(file: path, message: "expected a dict of networks, found \(root.typeName)")
        }
        guard top[network] != nil else {
            throw CheckpointError.invalid(file: path, message: "no '\(network)' network (has: \(top.stringKeys.joined(separator: ", ")))")
        }
        do {
            let module = try PersistentModule(try root[network], path: network)
            return try convert(module, others: top.stringKeys.filter { $0 != network })
        } catch let error as CheckpointError {
            throw CheckpointError.invalid(file: path, message: error.message)
        } catch let error as TorchError {
            throw CheckpointError.invalid(file: path, message: error.message)
        }
    }

    /// NVIDIA keeps `resample_filter` normalised to sum 1 (2-D, or 1-D when separable); rosinality's buffers hold
    /// the 2-D kernel times the upsampling gain 4.
    static func upsamplingKernel(_ filter: Tensor) throws -> Tensor {
        let f = try filter.to(dtype: .float32)
        let k = f.rank == 1 ? try f.outer(f) : f
        return try k / k.sum() * 4
    }

    static func convert(_ g: PersistentModule, others: [String]) throws -> LoadedGenerator {
        let mapping = try g.child("mapping")
        let synthesis = try g.child("synthesis")
        if let cDim = try? mapping.int("c_dim"), cDim > 0 {
            throw TorchError("conditional generators (c_dim \(cDim)) are not supported")
        }
        var weights: [String: Tensor] = [:]
        var nMLP = 0
        while let fc = mapping.children["fc\(nMLP)"] {
            weights["style.\(nMLP + 1).weight"] = try fc.tensor("weight")
            weights["style.\(nMLP + 1).bias"] = try fc.tensor("bias")
            // FullyConnectedLayer keeps its lr_multiplier as `bias_gain`.
            let lr = try fc.double("bias_gain")
            guard abs(lr - 0.01) < 1e-12 else { throw TorchError("mapping lr_multiplier \(lr) differs from 0.01") }
            nMLP += 1
        }
        var resolution = 4
        var clamp: Double?
        var layer = 0
        while let block = synthesis.children["b\(resolution)"] {
            let architecture = try block.string("architecture")
            guard architecture == "skip" else {
                throw TorchError("synthesis block b\(resolution) uses the '\(architecture)' architecture; only 'skip' is supported")
            }
            let first = resolution == 4
            if first {
                weights["input.input"] = try block.tensor("const").unsqueeze(0)
            }
            let convNames = first ? ["conv1"] : ["conv0", "conv1"]
            for name in convNames {
                let conv = try block.child(name)
                let target = layer == 0 ? "conv1" : "convs.\(layer - 1)"
                weights["\(target).conv.weight"] = try conv.tensor("weight").unsqueeze(0)
                weights["\(target).conv.modulation.weight"] = try conv.child("affine").tensor("weight")
                weights["\(target).conv.modulation.bias"] = try conv.child("affine").tensor("bias")
                weights["\(target).activate.bias"] = try conv.tensor("bias")
                weights["\(target).noise.weight"] = try conv.tensor("noise_strength").reshape([1])
                weights["noises.noise_\(layer)"] = try conv.tensor("noise_const").unsqueeze(0).unsqueeze(0)
                if let filter = conv.buffers["resample_filter"], name == "conv0" {
                    weights["\(target).conv.blur.kernel"] = try upsamplingKernel(filter)
                }
                clamp = try conv.optionalDouble("conv_clamp") ?? clamp
                layer += 1
            }
            let rgb = try block.child("torgb")
            let target = first ? "to_rgb1" : "to_rgbs.\((layer - 1) / 2 - 1)"
            weights["\(target).conv.weight"] = try rgb.tensor("weight").unsqueeze(0)
            weights["\(target).conv.modulation.weight"] = try rgb.child("affine").tensor("weight")
            weights["\(target).conv.modulation.bias"] = try rgb.child("affine").tensor("bias")
            weights["\(target).bias"] = try rgb.tensor("bias").reshape([1, 3, 1, 1])
            if !first, let filter = block.buffers["resample_filter"] {
                weights["\(target).upsample.kernel"] = try upsamplingKernel(filter)
            }
            resolution *= 2
        }
        guard layer > 0 else { throw TorchError("synthesis network has no b4 block") }
        let size = resolution / 2
        let styleDim = try weights["style.1.weight"].map { $0.size(0) } ?? mapping.int("w_dim")
        var channels = [weights["conv1.conv.weight"]!.size(1)]
        var i = 0
        while let w = weights["convs.\(2 * i).conv.weight"] {
            channels.append(w.size(1))
            i += 1
        }
        var config = try GeneratorConfig(size: size, styleDim: styleDim, nMLP: nMLP, channels: channels)
        config.convClamp = clamp
        return try GeneratorCheckpoint.build(weights: weights, config: config, latentAvg: mapping.buffers["w_avg"],
                                             layout: "stylegan2-ada-pytorch snapshot (G_ema)", others: others)
    }
}

/// One module of a persistent-class pickle: its tensors, children and plain attributes.
struct PersistentModule {
    let className: String
    let path: String
    let parameters: [String: Tensor]
    let buffers: [String: Tensor]
    let children: [String: PersistentModule]
    let attributes: PickleDict

    init(_ value: PickleValue, path: String, depth: Int = 0) throws {
        guard depth < 32 else { throw TorchError("\(path): modules nested too deeply") }
        guard case .object(let object) = value else { throw TorchError("\(path): expected a module, found \(value.typeName)") }
        let state: PickleDict
        if object.qualifiedName == "torch_utils.persistence._reconstruct_persistent_obj" {
            guard let meta = object.arguments.first, case .dict(let dict) = meta, let name = dict["class_name"],
                  case .string(let className) = name, let s = dict["state"], case .dict(let st) = s
            else { throw TorchError("\(path): malformed persistent-class record") }
            self.className = className
            state = st
        } else {
            className = object.qualifiedName
            state = object.attributes
        }
        self.path = path
        attributes = state
        func tensors(_ key: String) throws -> [String: Tensor] {
            guard let entry = state[key] else { return [:] }
            var out: [String: Tensor] = [:]
            for (name, v) in try Self.entries(entry, path: "\(path).\(key)") {
                if case .tensor(let t) = v { out[name] = t }
            }
            return out
        }
        parameters = try tensors("_parameters")
        buffers = try tensors("_buffers")
        var kids: [String: PersistentModule] = [:]
        if let modules = state["_modules"] {
            for (name, v) in try Self.entries(modules, path: "\(path)._modules") where !v.isNone {
                kids[name] = try PersistentModule(v, path: "\(path).\(name)", depth: depth + 1)
            }
        }
        children = kids
    }

    /// The string-keyed entries of a dict or an OrderedDict object.
    static func entries(_ value: PickleValue, path: String) throws -> [(String, PickleValue)] {
        let dict: PickleDict
        switch value {
        case .dict(let d): dict = d
        case .object(let o) where o.qualifiedName == "collections.OrderedDict": dict = o.dictItems
        default: throw TorchError("\(path): expected a dict, found \(value.typeName)")
        }
        return dict.compactMap { entry in
            guard case .string(let key) = entry.key else { return nil }
            return (key, entry.value)
        }
    }

    func child(_ name: String) throws -> PersistentModule {
        guard let c = children[name] else {
            throw TorchError("\(path) (\(className)) has no submodule '\(name)' (has: \(children.keys.sorted().joined(separator: ", ")))")
        }
        return c
    }

    func tensor(_ name: String) throws -> Tensor {
        guard let t = parameters[name] ?? buffers[name] else { throw TorchError("\(path) (\(className)) has no tensor '\(name)'") }
        return try t.to(dtype: .float32)
    }

    func int(_ name: String) throws -> Int { try attribute(name).int() }
    func string(_ name: String) throws -> String { try attribute(name).string() }
    func double(_ name: String) throws -> Double { try attribute(name).double() }

    /// A float attribute that may be None (e.g. `conv_clamp`).
    func optionalDouble(_ name: String) throws -> Double? {
        let v = try attribute(name)
        return v.isNone ? nil : try v.double()
    }

    func attribute(_ name: String) throws -> PickleValue {
        guard let v = attributes[name] else { throw TorchError("\(path) (\(className)) has no attribute '\(name)'") }
        return v
    }
}
