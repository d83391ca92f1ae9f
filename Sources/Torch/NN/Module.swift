/// Base class of every network part, as `torch.nn.Module`.
///
/// A module owns parameters (trainable tensors), buffers (state such as running statistics) and child modules,
/// each under a name. The dotted paths built from those names are PyTorch's state-dict keys, so a subclass that
/// registers under the attribute names of the Python model loads that model's checkpoints unchanged:
///
///     final class StyledConv: Module {
///         let conv: ModulatedConv2d
///         init(...) throws {
///             conv = try ModulatedConv2d(...)
///             super.init()
///             try register(module: "conv", conv)   // keys "conv.weight", ...
///         }
///     }
///
/// Values are only ever replaced in place (`copy_`, `setData`), never swapped for new tensors, so the references
/// subclasses keep in stored properties and the ones optimisers hold stay valid across loads and moves.
open class Module {
    private var parameterSlots: [(name: String, tensor: Tensor)] = []
    private var bufferSlots: [(name: String, tensor: Tensor, persistent: Bool)] = []
    private var childSlots: [(name: String, module: Module)] = []

    /// Whether the module behaves as in training (dropout active, batch statistics); see `train(_:)`.
    public private(set) var isTraining = true

    public init() {}

    /// The name used in error messages, e.g. "Conv2d".
    public var typeName: String { String(describing: type(of: self)) }

    /// Local state keys that a checkpoint may lack without being reported missing; they keep their value.
    /// Batch norm uses it for `num_batches_tracked`, which checkpoints older than PyTorch 0.4.1 do not have.
    open var keysOptionalOnLoad: Set<String> { [] }

    // MARK: registration

    /// Registers a trainable tensor under `name` and makes it require gradients, as `nn.Parameter`.
    /// A nil tensor (an absent bias) registers nothing, so it has no state-dict key, as in PyTorch.
    public func register(parameter name: String, _ tensor: Tensor?) throws {
        guard let tensor else { return }
        try claim(name)
        guard tensor.dtype.isFloatingPoint else {
            throw TorchError("\(typeName): parameter \"\(name)\" must be floating point, got \(tensor.dtype)")
        }
        guard tensor.isLeaf else {
            throw TorchError("\(typeName): parameter \"\(name)\" must be a leaf tensor; detach it first")
        }
        try tensor.requiresGrad(true)
        parameterSlots.append((name, tensor))
    }

    /// Registers state that is not trained. Non-persistent buffers move with the module but stay out of the
    /// state dict, as `register_buffer(..., persistent=False)`.
    public func register(buffer name: String, _ tensor: Tensor?, persistent: Bool = true) throws {
        guard let tensor else { return }
        try claim(name)
        bufferSlots.append((name, tensor, persistent))
    }

    /// Registers a submodule; its state appears under `name.`.
    public func register(module name: String, _ module: Module?) throws {
        guard let module else { return }
        try claim(name)
        guard module !== self else { throw TorchError("\(typeName): a module cannot be its own child \"\(name)\"") }
        childSlots.append((name, module))
    }

    private func claim(_ name: String) throws {
        guard !name.isEmpty, !name.contains(".") else {
            throw TorchError("\(typeName): invalid name \"\(name)\" (must be non-empty and contain no \".\")")
        }
        let taken = parameterSlots.contains { $0.name == name } || bufferSlots.contains { $0.name == name }
            || childSlots.contains { $0.name == name }
        guard !taken else { throw TorchError("\(typeName): \"\(name)\" is already registered") }
    }

    // MARK: traversal

    /// Direct submodules in registration order.
    public func namedChildren() -> [(name: String, module: Module)] { childSlots }
    public func children() -> [Module] { childSlots.map(\.module) }

    /// This module (path "") and every descendant, depth first; a module reachable twice is listed once.
    public func namedModules() -> [(name: String, module: Module)] {
        var seen = Set<ObjectIdentifier>()
        var result: [(name: String, module: Module)] = []
        func visit(_ module: Module, _ path: String) {
            guard seen.insert(ObjectIdentifier(module)).inserted else { return }
            result.append((path, module))
            for (name, child) in module.childSlots { visit(child, path.isEmpty ? name : path + "." + name) }
        }
        visit(self, "")
        return result
    }

    public func modules() -> [Module] { namedModules().map(\.module) }

    /// Parameters with their dotted paths; a tensor shared between modules is listed once (first path), so an
    /// optimiser built from this list updates it once.
    public func namedParameters(recurse: Bool = true) -> [(name: String, tensor: Tensor)] {
        unique(recurse ? namedModules() : [("", self)]) { $0.parameterSlots.map { ($0.name, $0.tensor) } }
    }

    public func parameters(recurse: Bool = true) -> [Tensor] { namedParameters(recurse: recurse).map(\.tensor) }

    /// Buffers (persistent or not) with their dotted paths, each tensor once.
    public func namedBuffers(recurse: Bool = true) -> [(name: String, tensor: Tensor)] {
        unique(recurse ? namedModules() : [("", self)]) { $0.bufferSlots.map { ($0.name, $0.tensor) } }
    }

    public func buffers(recurse: Bool = true) -> [Tensor] { namedBuffers(recurse: recurse).map(\.tensor) }

    private func unique(_ modules: [(name: String, module: Module)],
                        _ slots: (Module) -> [(String, Tensor)]) -> [(name: String, tensor: Tensor)]
    {
        var seen = Set<ObjectIdentifier>()
        var result: [(name: String, tensor: Tensor)] = []
        for (path, module) in modules {
            for (name, tensor) in slots(module) where seen.insert(ObjectIdentifier(tensor)).inserted {
                result.append((path.isEmpty ? name : path + "." + name, tensor))
            }
        }
        return result
    }

    /// Total number of parameter elements, each shared tensor counted once.
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }

    // MARK: state dict

    /// The live tensors behind `stateDict()`: own parameters, own persistent buffers, then each child's,
    /// which is PyTorch's key order. Shared tensors appear under every path, as in PyTorch.
    private func stateSlots(prefix: String = "") -> [(key: String, tensor: Tensor, local: String, owner: Module)] {
        var result = parameterSlots.map { (prefix + $0.name, $0.tensor, $0.name, self) }
        result += bufferSlots.filter(\.persistent).map { (prefix + $0.name, $0.tensor, $0.name, self) }
        for (name, child) in childSlots { result += child.stateSlots(prefix: prefix + name + ".") }
        return result
    }

    /// Parameters and persistent buffers by key, detached (sharing storage), as `state_dict()`.
    public func stateDict() throws -> StateDict {
        StateDict(try stateSlots().map { ($0.key, try $0.tensor.detach()) })
    }

    /// Copies checkpoint values into the module's tensors in place, converting dtype and device to theirs.
    ///
    /// Nothing is copied unless every key can be: with `strict`, all missing, unexpected and wrongly shaped keys
    /// are reported together in one `StateDictError`; without it, only shape mismatches fail and the keys that
    /// were skipped are returned.
    @discardableResult
    public func load(stateDict: [String: Tensor], strict: Bool = true) throws -> IncompatibleKeys {
        let slots = stateSlots()
        var missing: [String] = []
        var mismatches: [StateDictError.ShapeMismatch] = []
        var copies: [(Tensor, Tensor)] = []
        for slot in slots {
            guard let value = stateDict[slot.key] else {
                if !slot.owner.keysOptionalOnLoad.contains(slot.local) { missing.append(slot.key) }
                continue
            }
            if value.shape != slot.tensor.shape {
                mismatches.append(.init(key: slot.key, expected: slot.tensor.shape, found: value.shape))
            } else {
                copies.append((slot.tensor, value))
            }
        }
        let known = Set(slots.map(\.key))
        let unexpected = stateDict.keys.filter { !known.contains($0) }.sorted()
        let keys = IncompatibleKeys(missingKeys: missing, unexpectedKeys: unexpected)
        if !mismatches.isEmpty || (strict && !(missing.isEmpty && unexpected.isEmpty)) {
            throw StateDictError(moduleType: typeName, missingKeys: strict ? missing : [],
                                 unexpectedKeys: strict ? unexpected : [], shapeMismatches: mismatches)
        }
        try withNoGrad {
            for (destination, source) in copies { try destination.copy_(source) }
        }
        return keys
    }

    @discardableResult
    public func load(stateDict: StateDict, strict: Bool = true) throws -> IncompatibleKeys {
        try load(stateDict: stateDict.dictionary, strict: strict)
    }

    // MARK: mode, placement, gradients

    /// Sets training mode here and in every descendant, as `train(mode)`.
    @discardableResult
    open func train(_ mode: Bool = true) -> Self {
        isTraining = mode
        for child in children() { child.train(mode) }
        return self
    }

    /// Inference mode: dropout off, running statistics used.
    @discardableResult
    public func eval() -> Self { train(false) }

    /// Moves parameters, buffers and their gradients in place (`setData`), so existing references follow.
    /// A dtype applies to floating-point tensors only; integer buffers such as `num_batches_tracked` keep theirs.
    @discardableResult
    public func to(device: Device? = nil, dtype: DType? = nil) throws -> Self {
        if let dtype, !dtype.isFloatingPoint {
            throw TorchError("\(typeName).to: dtype must be floating point, got \(dtype)")
        }
        try withNoGrad {
            for tensor in parameters() + buffers() {
                let targetDevice = device ?? tensor.device
                let targetType = tensor.dtype.isFloatingPoint ? dtype ?? tensor.dtype : tensor.dtype
                guard targetDevice != tensor.device || targetType != tensor.dtype else { continue }
                try tensor.setData(tensor.to(device: targetDevice, dtype: targetType))
                if let grad = try tensor.grad { try tensor.setGrad(grad.to(device: targetDevice, dtype: targetType)) }
            }
        }
        return self
    }

    /// Turns gradient tracking of every parameter on or off.
    @discardableResult
    public func requiresGrad(_ flag: Bool = true) throws -> Self {
        for p in parameters() { try p.requiresGrad(flag) }
        return self
    }

    /// Stops training every parameter (for fixed feature extractors and loss networks).
    @discardableResult
    public func freeze() throws -> Self { try requiresGrad(false) }

    /// Clears every parameter's gradient, as `zero_grad(set_to_none=True)`.
    public func zeroGrad() throws {
        for p in parameters() { try p.zeroGrad() }
    }
}

/// A module with one input and one output, which `Sequential` can chain.
public protocol Layer: Module {
    func callAsFunction(_ x: Tensor) throws -> Tensor
}
