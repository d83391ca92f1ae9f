import Torch

extension Metrics {
    /// Parameters of a method's networks together (encoder, generator, ...): each tensor counted once even when
    /// several modules hold it, as `Module.parameterCount` does within one module.
    public static func parameterCount(_ modules: [Module]) -> Int {
        var seen = Set<ObjectIdentifier>()
        var total = 0
        for module in modules {
            for parameter in module.parameters() where seen.insert(ObjectIdentifier(parameter)).inserted {
                total += parameter.count
            }
        }
        return total
    }
}
