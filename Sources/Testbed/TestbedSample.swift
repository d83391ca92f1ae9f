/// One render: `identity` fixes the identity factors (head and jaw, skin, eyes' size, spacing and iris colour,
/// nose, brows, ears, lip colour, hair colour and base style, facial hair, age), `variation` the rest (pose,
/// expression, gaze, light, background, clothes, accessories, degradations). Both ids are global; the factors
/// are hashed from them, so a sample renders the same wherever it sits in a batch.
public struct TestbedSample: Hashable, Codable, Sendable {
    public let split: TestbedSplit
    public let identity: Int
    public let variation: Int

    public init(split: TestbedSplit, identity: Int, variation: Int) {
        self.split = split
        self.identity = identity
        self.variation = variation
    }

    /// The factors this sample renders with (`TestbedRenderer.render(faces:)` takes them, edited or not).
    public var face: TestbedFace {
        TestbedFace(identity: IdentityFactors(identity: identity),
                    variation: VariationFactors(identity: identity, variation: variation, degraded: split.isDegraded),
                    identityID: identity)
    }
}
