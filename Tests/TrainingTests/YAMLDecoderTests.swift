import Foundation
import Testing
import Training

@Suite("YAML decoder")
struct YAMLDecoderTests {
    struct Config: Decodable, Equatable {
        struct Weights: Decodable, Equatable {
            var l2: Double
            var id: Double
        }

        var name: String
        var count: Int
        var rate: Double
        var flags: [Bool]
        var weights: Weights
        var scale: Float?
        var note: String?
        var big: UInt64

        enum CodingKeys: String, CodingKey {
            case name, count, rate, flags, weights, scale, note, big
        }
    }

    func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try YAMLDecoder().decode(type, from: text)
    }

    /// The message of the error decoding `text` throws, with the coding path first as the configuration loaders
    /// print it.
    func failure<T: Decodable>(_ type: T.Type, _ text: String) -> String {
        do {
            _ = try decode(type, text)
            return "no error"
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.dataCorrupted(context),
                let DecodingError.valueNotFound(_, context)
        {
            return context.codingPath.map(\.stringValue).joined(separator: ".") + ": " + context.debugDescription
        } catch let DecodingError.keyNotFound(key, context) {
            return "missing \(key.stringValue): " + context.debugDescription
        } catch {
            return "\(error)"
        }
    }

    func failure(_ text: String) -> String { failure(Config.self, text) }

    @Test("block and flow styles, comments, PyYAML's spellings of booleans, numbers and null")
    func readsTheCommonForms() throws {
        let config = try decode(Config.self, """
            # a comment
            name: 'ranger'   # quoted
            count: 1_000
            rate: 1e-4
            flags: [True, no, ON, false]
            weights:
              l2: 1
              id: .5
            scale: ~
            note: "two words"
            big: 0xFF
            unused: {deep: [1, 2, {x: y}]}
            """)
        #expect(config == Config(name: "ranger", count: 1000, rate: 1e-4, flags: [true, false, true, false],
                                 weights: .init(l2: 1, id: 0.5), scale: nil, note: "two words", big: 255))
        #expect(try decode([String: Double].self, "a: .inf\nb: -.Inf\nc: -2.5E+3\n") == ["a": .infinity, "b": -.infinity, "c": -2500])
        #expect(try decode([String: Double].self, "n: .nan\n")["n"]!.isNaN)
        #expect(try decode([Int].self, "- 1\n- -2\n- +3\n") == [1, -2, 3])
        #expect(try decode([String: Int].self, "") == [:], "an empty document is an empty mapping")
    }

    @Test("anchors and aliases; a repeated key keeps its last value, as in PyYAML")
    func aliasesAndRepeatedKeys() throws {
        let weights = try decode([String: Config.Weights].self, "a: &w {l2: 2, id: 3}\nb: *w\n")
        #expect(weights["a"] == weights["b"] && weights["b"] == Config.Weights(l2: 2, id: 3))
        #expect(try decode([String: Int].self, "x: 1\ny: 2\nx: 3\n") == ["x": 3, "y": 2])
    }

    @Test("strings stay strings: quoted numbers, and any scalar asked for as text")
    func quotedScalarsAreStrings() throws {
        #expect(try decode([String: String].self, "a: 001\nb: yes\nc: '1.5'\n") == ["a": "001", "b": "yes", "c": "1.5"])
        #expect(failure([String: Int].self, "a: '1'\n").contains("a: line 1: expected Int, found '1'"))
        #expect(failure([String: Bool].self, "a: \"true\"\n").contains("expected Bool"))
    }

    @Test("a wrong type names the key path and the line; malformed YAML names libyaml's line and column")
    func errorsNameTheKeyAndLine() {
        let base = "name: x\ncount: 1\nrate: 1\nflags: []\nbig: 1\nweights:\n  l2: 1\n"
        #expect(failure(base + "  id: heavy\n").contains("weights.id: line 8: expected Double, found 'heavy'"))
        #expect(failure(base.replacingCount("count: 1", "count: 1.5")).contains("count: line 2: expected Int, found '1.5'"))
        #expect(failure(base.replacingCount("count: 1", "count: inf")).contains("expected Int"))
        #expect(failure([String: Double].self, "a: inf\n").contains("expected Double, found 'inf'"), "YAML spells it .inf")
        #expect(failure([String: Double].self, "a: 0x10\n").contains("expected Double"))
        #expect(failure([String: UInt8].self, "a: 300\n").contains("expected UInt8, found '300'"))
        #expect(failure(base.replacingCount("flags: []", "flags: maybe")).contains("flags: line 4: expected Array"))
        #expect(failure(base).contains("missing id"))
        #expect(failure("name: [unclosed\n").contains("line 2, column 1: while parsing a flow sequence"))
        let scanner = failure("a: b: c\n")
        #expect(scanner.contains("line 1, column 5") && scanner.contains("mapping values are not allowed"))
        #expect(failure("a: *nowhere\n").contains("line 1: unknown alias *nowhere"))
        #expect(failure("? [1, 2]\n: x\n").contains("line 1: a mapping key must be a scalar"))
        #expect(failure([Int].self, "- 1\n- x\n").contains("1: line 2: expected Int, found 'x'"))
    }
}

private extension String {
    /// The text with its one occurrence of `target` replaced; the tests' YAML has each key once.
    func replacingCount(_ target: String, _ replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
