/// Layers applied one after another, as `torch.nn.Sequential`; children are named "0", "1", ...
public final class Sequential: Module, Layer, RandomAccessCollection {
    private var layers: [any Layer] = []

    public init(_ layers: [any Layer]) throws {
        super.init()
        for layer in layers { try append(layer) }
    }

    public convenience init(_ layers: any Layer...) throws { try self.init(layers) }

    public func append(_ layer: any Layer) throws {
        try register(module: String(layers.count), layer)
        layers.append(layer)
    }

    public var startIndex: Int { layers.startIndex }
    public var endIndex: Int { layers.endIndex }
    public subscript(position: Int) -> any Layer { layers[position] }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try layers.reduce(x) { try $1($0) }
    }
}

/// An indexed list of submodules with typed access, as `torch.nn.ModuleList`; children are named "0", "1", ...
///
/// `ModuleList<StyledConv>` gives `convs[i]` as a `StyledConv`; use `ModuleList<Module>` for mixed kinds.
public final class ModuleList<Element: Module>: Module, RandomAccessCollection {
    private var items: [Element] = []

    public init(_ modules: [Element] = []) throws {
        super.init()
        for module in modules { try append(module) }
    }

    public func append(_ module: Element) throws {
        try register(module: String(items.count), module)
        items.append(module)
    }

    public var startIndex: Int { items.startIndex }
    public var endIndex: Int { items.endIndex }
    public subscript(position: Int) -> Element { items[position] }
}
