import CTorch

/// Reverse-mode differentiation, as `torch.autograd`.
extension Tensor {
    public var requiresGrad: Bool { withExtendedLifetime(self) { ct_requires_grad(handle) != 0 } }

    /// Marks a leaf tensor as trainable (or not); returns self for chaining.
    @discardableResult
    public func requiresGrad(_ flag: Bool) throws -> Tensor {
        try mutate { ct_set_requires_grad(handle, flag ? 1 : 0) }
        return self
    }

    public var isLeaf: Bool { withExtendedLifetime(self) { ct_is_leaf(handle) != 0 } }

    /// Keeps the gradient of a non-leaf tensor after `backward`.
    public func retainGrad() throws { try mutate { ct_retain_grad(handle) } }

    /// The accumulated gradient, or nil when none was computed.
    public var grad: Tensor? {
        get throws {
            try withExtendedLifetime(self) {
                var out: OpaquePointer?
                try check(ct_grad(handle, &out))
                return out.map { Tensor(owning: $0) }
            }
        }
    }

    /// Replaces the accumulated gradient (nil clears it).
    public func setGrad(_ grad: Tensor?) throws {
        try withExtendedLifetime((self, grad)) { try check(ct_set_grad(handle, grad?.handle)) }
    }

    /// Clears the gradient, as `zero_grad(set_to_none=True)`.
    public func zeroGrad() throws { try setGrad(nil) }

    /// Accumulates d(self)/d(leaves) into the leaves' `grad`; `gradient` is required for non-scalars.
    public func backward(_ gradient: Tensor? = nil, retainGraph: Bool = false, createGraph: Bool = false) throws {
        try withExtendedLifetime((self, gradient)) {
            try check(ct_backward(handle, gradient?.handle, retainGraph ? 1 : 0, createGraph ? 1 : 0))
        }
    }
}

/// Gradients of `outputs` with respect to `inputs` without touching `.grad`, as `torch.autograd.grad`.
///
/// With `createGraph` the result is itself differentiable (second order), which GANI needs to train networks
/// that read loss gradients. Inputs that do not influence the outputs give nil when `allowUnused` is set.
public func gradients(of outputs: [Tensor], wrt inputs: [Tensor], gradOutputs: [Tensor]? = nil,
                      retainGraph: Bool? = nil, createGraph: Bool = false, allowUnused: Bool = false) throws
    -> [Tensor?]
{
    let retain = retainGraph ?? createGraph
    let seeds = gradOutputs ?? []
    return try withExtendedLifetime((outputs, inputs, seeds)) {
        let o = Tensor.handles(outputs)
        let i = Tensor.handles(inputs)
        let g = Tensor.handles(seeds)
        var out = [OpaquePointer?](repeating: nil, count: inputs.count)
        try check(ct_autograd_grad(o, o.count, i, i.count, g, g.count, retain ? 1 : 0, createGraph ? 1 : 0,
                                   allowUnused ? 1 : 0, &out))
        return out.map { $0.map { Tensor(owning: $0) } }
    }
}

/// Single-output form of `gradients(of:wrt:)`.
public func gradients(of output: Tensor, wrt inputs: [Tensor], gradOutput: Tensor? = nil,
                      retainGraph: Bool? = nil, createGraph: Bool = false, allowUnused: Bool = false) throws
    -> [Tensor?]
{
    try gradients(of: [output], wrt: inputs, gradOutputs: gradOutput.map { [$0] }, retainGraph: retainGraph,
                  createGraph: createGraph, allowUnused: allowUnused)
}

/// Runs `body` with gradient recording off on this thread, as `torch.no_grad()`.
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
    let previous = ct_grad_enabled()
    ct_set_grad_enabled(0)
    defer { ct_set_grad_enabled(previous) }
    return try body()
}

/// Runs `body` with gradient recording on, as `torch.enable_grad()`.
public func withGrad<R>(_ body: () throws -> R) rethrows -> R {
    let previous = ct_grad_enabled()
    ct_set_grad_enabled(1)
    defer { ct_set_grad_enabled(previous) }
    return try body()
}

/// Runs `body` in inference mode, as `torch.inference_mode()`: no autograd bookkeeping at all.
/// Tensors created inside cannot later be used in autograd.
public func withInferenceMode<R>(_ body: () throws -> R) throws -> R {
    var guardHandle: OpaquePointer?
    try check(ct_inference_mode_enter(&guardHandle))
    defer { ct_inference_mode_exit(guardHandle) }
    return try body()
}

public var isGradEnabled: Bool { ct_grad_enabled() != 0 }
