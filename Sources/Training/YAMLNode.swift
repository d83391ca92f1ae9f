import CLibYAML

/// A YAML document as libyaml (Debian's libyaml) parsed it: scalars keep their text, and whether they were written
/// plain, until a decoder asks for a type (`YAMLDecoder`), as the official configuration loaders' PyYAML does.
public struct YAMLNode: Sendable {
    public enum Value: Sendable {
        /// `plain`: written without quotes, so it may read as a number, a boolean or null.
        case scalar(String, plain: Bool)
        case sequence([YAMLNode])
        /// In the file's order; a repeated key keeps its last value, as in PyYAML.
        case mapping([(key: String, value: YAMLNode)])
    }

    public let value: Value
    /// 1-based line of the node's start, for messages.
    public let line: Int

    /// The first document of `text`; an empty one is an empty mapping. Aliases are resolved; keys must be scalars.
    /// Throws `DecodingError.dataCorrupted` with libyaml's line, column and problem.
    public static func parse(_ text: String) throws -> YAMLNode {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { throw corrupted("libyaml cannot start a parser") }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        if bytes.isEmpty { return YAMLNode(value: .mapping([]), line: 1) }
        return try bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var builder = Builder()
            while builder.root == nil {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { throw corrupted(problem(parser)) }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { break }
                try builder.add(event)
            }
            return builder.root ?? YAMLNode(value: .mapping([]), line: 1)
        }
    }

    static func corrupted(_ message: String) -> DecodingError {
        .dataCorrupted(DecodingError.Context(codingPath: [], debugDescription: message))
    }

    private static func problem(_ parser: yaml_parser_t) -> String {
        let problem = parser.problem.map { String(cString: $0) } ?? "malformed YAML"
        let context = parser.context.map { String(cString: $0) + ", " } ?? ""
        return "line \(parser.problem_mark.line + 1), column \(parser.problem_mark.column + 1): \(context)\(problem)"
    }

    /// Turns the event stream into a tree: open collections on a stack, anchors by name.
    private struct Builder {
        enum Open {
            case sequence([YAMLNode], line: Int, anchor: String?)
            case mapping([(key: String, value: YAMLNode)], pendingKey: String?, line: Int, anchor: String?)
        }

        var stack: [Open] = []
        var anchors: [String: YAMLNode] = [:]
        var root: YAMLNode?

        mutating func add(_ event: yaml_event_t) throws {
            let line = Int(event.start_mark.line) + 1
            switch event.type {
            case YAML_SCALAR_EVENT:
                let s = event.data.scalar
                let text = String(decoding: UnsafeBufferPointer(start: s.value, count: s.length), as: UTF8.self)
                // An explicit tag (`!!str 1`) decides the type itself, so such a scalar is not plain.
                let plain = s.style == YAML_PLAIN_SCALAR_STYLE && s.tag == nil
                try close(YAMLNode(value: .scalar(text, plain: plain), line: line), anchor: Self.name(s.anchor))
            case YAML_ALIAS_EVENT:
                let name = Self.name(event.data.alias.anchor) ?? ""
                guard let node = anchors[name] else { throw YAMLNode.corrupted("line \(line): unknown alias *\(name)") }
                try close(node, anchor: nil)
            case YAML_SEQUENCE_START_EVENT:
                stack.append(.sequence([], line: line, anchor: Self.name(event.data.sequence_start.anchor)))
            case YAML_MAPPING_START_EVENT:
                stack.append(.mapping([], pendingKey: nil, line: line, anchor: Self.name(event.data.mapping_start.anchor)))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                switch stack.removeLast() {
                case .sequence(let items, let start, let anchor):
                    try close(YAMLNode(value: .sequence(items), line: start), anchor: anchor)
                case .mapping(let pairs, _, let start, let anchor):
                    try close(YAMLNode(value: .mapping(pairs), line: start), anchor: anchor)
                }
            default:
                break  // stream and document boundaries
            }
        }

        /// A finished node goes into the collection that holds it, or becomes the root.
        private mutating func close(_ node: YAMLNode, anchor: String?) throws {
            if let anchor { anchors[anchor] = node }
            guard let open = stack.popLast() else {
                root = node
                return
            }
            switch open {
            case .sequence(var items, let line, let anchor):
                items.append(node)
                stack.append(.sequence(items, line: line, anchor: anchor))
            case .mapping(let pairs, nil, let line, let anchor):
                guard case .scalar(let key, _) = node.value else {
                    throw YAMLNode.corrupted("line \(node.line): a mapping key must be a scalar")
                }
                stack.append(.mapping(pairs, pendingKey: key, line: line, anchor: anchor))
            case .mapping(var pairs, let key?, let line, let anchor):
                pairs.removeAll { $0.key == key }
                pairs.append((key, node))
                stack.append(.mapping(pairs, pendingKey: nil, line: line, anchor: anchor))
            }
        }

        private static func name(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            pointer.map { String(cString: UnsafePointer($0)) }
        }
    }
}
