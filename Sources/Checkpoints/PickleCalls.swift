/// The calls the unpickler understands. This is the whole allow-list: the builtin containers, PyTorch's
/// tensor and parameter rebuild functions, and `torch.storage._load_from_bytes`. Any other call records an
/// inert object instead of running anything.
extension Unpickler {
    /// Builds what calling `callable` (a GLOBAL) with `arguments` would, without running any Python.
    mutating func call(_ callable: ID, _ arguments: [ID], keywords: ID?, depth: Int) throws -> ID {
        guard depth < 4 else { throw invalid("rebuild calls nested too deeply") }
        guard case .global(let module, let name) = arena[callable] else {
            throw unsupported(
                "calling a \(arena.kind(callable)); only classes and functions named by GLOBAL are understood")
        }
        let builtin = module == "builtins" || module == "__builtin__"
        switch name {
        case "OrderedDict" where module == "collections", "dict" where builtin:
            return try makeDict(arguments)
        case "set" where builtin, "frozenset" where builtin:
            let set = arena.newSet()
            if let source = arguments.first {
                guard arguments.count == 1, let items = arena.items(of: source) else {
                    throw invalid("\(name)() of a \(arena.kind(source))")
                }
                try arena.addItems(items, to: set)
            }
            return set
        case "bytes" where builtin, "bytearray" where builtin, "encode" where module == "_codecs":
            return arena.add(value: .bytes(try makeBytes(arguments, function: "\(module).\(name)")))
        case "Size" where module == "torch":
            guard arguments.count == 1, let items = arena.items(of: arguments[0]) else {
                throw invalid("torch.Size needs one tuple")
            }
            return arena.add(.tuple(items))
        case "_rebuild_from_type_v2" where module == "torch._tensor" || module == "torch.tensor":
            // (func, new_type, args, state): the subclass and its Python state do not survive into Swift.
            guard arguments.count == 4, let inner = arena.items(of: arguments[2]) else {
                throw invalid("_rebuild_from_type_v2 needs (func, type, args, state)")
            }
            return try call(arguments[0], inner, keywords: nil, depth: depth + 1)
        case "_load_from_bytes" where module == "torch.storage":
            return try loadFromBytes(arguments)
        case "_reconstructor" where module == "copyreg":
            // Protocol 0/1 form of `object.__new__(cls)`; BUILD then sets the state.
            guard arguments.count == 3, case .global(let classModule, let className) = arena[arguments[0]] else {
                throw invalid("copyreg._reconstructor needs (class, base, state)")
            }
            return arena.newObject(module: classModule, name: className, arguments: [], keywordArguments: nil)
        default:
            if module == "torch._utils", let tensor = try rebuildTensor(name, arguments) { return tensor }
            return arena.newObject(module: module, name: name, arguments: arguments, keywordArguments: keywords)
        }
    }

    /// dict(), dict(mapping) or dict(iterable of pairs); OrderedDict the same.
    private mutating func makeDict(_ arguments: [ID]) throws -> ID {
        let dict = arena.newDict()
        guard let source = arguments.first else { return dict }
        guard arguments.count == 1 else { throw invalid("dict() with \(arguments.count) arguments") }
        if let pairs = arena.pairs(of: source) {
            try arena.setItems(pairs.flatMap { [$0.0, $0.1] }[...], in: dict)
            return dict
        }
        guard let items = arena.items(of: source) else { throw invalid("dict() of a \(arena.kind(source))") }
        var flat: [ID] = []
        for item in items {
            guard let pair = arena.items(of: item), pair.count == 2 else { throw invalid("dict() item is not a pair") }
            flat.append(contentsOf: pair)
        }
        try arena.setItems(flat[...], in: dict)
        return dict
    }

    /// bytes(), bytes(b), bytearray(b) and the protocol 2 spelling `_codecs.encode(text, "latin1")`.
    private func makeBytes(_ arguments: [ID], function: String) throws -> [UInt8] {
        switch arguments.count {
        case 0:
            return []
        case 1:
            guard case .value(.bytes(let bytes)) = arena[arguments[0]] else {
                throw invalid("\(function)() of a \(arena.kind(arguments[0]))")
            }
            return bytes
        case 2:
            guard let text = arena.text(arguments[0]), let encoding = arena.text(arguments[1]) else {
                throw invalid("\(function)() needs a str and an encoding")
            }
            switch encoding.lowercased() {
            case "latin1", "latin-1", "iso-8859-1":
                return try text.unicodeScalars.map {
                    guard $0.value < 256 else { throw invalid("\(function)(): text is not latin-1") }
                    return UInt8($0.value)
                }
            case "utf-8", "utf8":
                return Array(text.utf8)
            default:
                throw unsupported("\(function)() with encoding '\(encoding)'")
            }
        default:
            throw invalid("\(function)() with \(arguments.count) arguments")
        }
    }

    /// PyTorch's tensor and parameter rebuild functions (torch/_utils.py); nil for the ones not read here
    /// (sparse, quantized, nested, meta tensors), which then stay inert objects.
    private mutating func rebuildTensor(_ name: String, _ arguments: [ID]) throws -> ID? {
        var dtypeArgument: ID?
        switch name {
        case "_rebuild_parameter", "_rebuild_parameter_with_state":
            guard arguments.count == (name == "_rebuild_parameter" ? 3 : 4) else {
                throw invalid("\(name) with \(arguments.count) arguments")
            }
            guard case .tensor = arena[arguments[0]] else {
                throw invalid("\(name) of a \(arena.kind(arguments[0])), not a tensor")
            }
            return arguments[0]
        case "_rebuild_tensor":
            guard arguments.count == 4 else { throw invalid("_rebuild_tensor with \(arguments.count) arguments") }
        case "_rebuild_tensor_v2":
            guard arguments.count == 6 || arguments.count == 7 else {
                throw invalid("_rebuild_tensor_v2 with \(arguments.count) arguments")
            }
        case "_rebuild_tensor_v3":
            guard arguments.count == 7 || arguments.count == 8 else {
                throw invalid("_rebuild_tensor_v3 with \(arguments.count) arguments")
            }
            dtypeArgument = arguments[6]
        default:
            return nil
        }
        guard case .storage(let storage) = arena[arguments[0]] else {
            throw invalid("\(name) of a \(arena.kind(arguments[0])), not a storage")
        }
        var dtype = storage.slot.dtype
        if let dtypeArgument {
            guard case .global(let module, let dtypeName) = arena[dtypeArgument], module == "torch" else {
                throw invalid("\(name) dtype is a \(arena.kind(dtypeArgument))")
            }
            guard let named = TorchNames.dtype(named: dtypeName) else {
                throw unsupported("tensor dtype torch.\(dtypeName)")
            }
            dtype = named
        }
        guard let offset = arena.int(arguments[1]) else { throw invalid("\(name) storage offset is not an int") }
        let size = try intList(arguments[2], "\(name) size")
        let stride = try intList(arguments[3], "\(name) stride")
        let tensor = try TensorRef(storage: storage, dtype: dtype, offset: offset, size: size, stride: stride,
                                   file: file)
        return arena.add(.tensor(tensor))
    }

    private func intList(_ id: ID, _ what: String) throws -> [Int] {
        guard let items = arena.items(of: id) else { throw invalid("\(what) is a \(arena.kind(id)), not a tuple") }
        return try items.map {
            guard let value = arena.int($0) else { throw invalid("\(what) holds a \(arena.kind($0)), not an int") }
            return value
        }
    }

    /// `torch.storage._load_from_bytes(blob)`: a storage saved by `torch.save` in the legacy format inside a
    /// pickle, as NVIDIA's network pickles hold their tensors.
    private mutating func loadFromBytes(_ arguments: [ID]) throws -> ID {
        guard arguments.count == 1, case .value(.bytes(let blob)) = arena[arguments[0]] else {
            throw invalid("_load_from_bytes needs one bytes argument")
        }
        guard nesting < Self.maxNesting else { throw unsupported("_load_from_bytes nested in _load_from_bytes") }
        let node: PickleArena.Node = try blob.withUnsafeBytes { raw in
            let (inner, root) = try LegacyTorchFormat.graph(raw, file: file, nesting: nesting + 1)
            if case .storage(let storage) = inner[root] {
                storage.slot.makeOwned()
                return .storage(storage)
            }
            return .value(try inner.value(of: root))
        }
        return arena.add(node)
    }
}
