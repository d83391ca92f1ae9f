import CTorch

/// Random-stream state, so a resumed run draws the numbers the uninterrupted run would have drawn.
extension Generator {
    /// The generator's whole state as a uint8 tensor, as `torch.Generator.get_state()`.
    public func state() throws -> Tensor {
        try withExtendedLifetime(self) { try Tensor.produce { ct_generator_get_state(handle, $0) } }
    }

    /// Restores a state taken by `state()` (libtorch checks its dtype and size), as
    /// `torch.Generator.set_state`.
    public func setState(_ state: Tensor) throws {
        try withExtendedLifetime((self, state)) { try check(ct_generator_set_state(handle, state.handle)) }
    }
}
