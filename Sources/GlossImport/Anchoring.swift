public import GlossCore

/// Places an imported annotation in its document's text, as the Web Annotation
/// model's selectors describe it: offsets (TextPositionSelector, code points) when
/// they still select the quote, otherwise the quote (TextQuoteSelector) where its
/// prefix and suffix fit best.
///
/// The rule, in order:
/// 1. Offsets in range whose text equals `exact` (or with no `exact`) are kept.
/// 2. Otherwise, of every occurrence of `exact` (whole characters only), the one whose
///    surroundings share the longest end with `prefix` plus the longest start with
///    `suffix` wins; among equals, the one nearest the given start (or the first).
/// 3. Otherwise the annotation cannot be anchored, and the reason says why.
public enum Anchoring {
    /// How an annotation was placed.
    public enum Placement: String, Sendable {
        /// Its offsets select its quote.
        case asGiven = "as-given"
        /// Its offsets did not select its quote, which was found elsewhere (the text changed,
        /// or another tool counted other units).
        case moved
        /// It gave no offsets; its quote was found.
        case byQuote = "by-quote"
    }

    /// The span for `annotation` in `text`, and how it was found.
    ///
    /// - Throws: ``ImportError`` (`unanchorable`) with the reason.
    public static func anchor(_ annotation: ImportedAnnotation, in text: DocumentText) throws(ImportError) -> (span: Span, placement: Placement) {
        if let start = annotation.start, let end = annotation.end, start < end, end <= text.count,
            annotation.exact.isEmpty || DocumentText.sameScalars(text.slice(start, end), annotation.exact)
        {
            do {
                return (try text.span(start: start, end: end), .asGiven)
            } catch {
                throw .unanchorable(error.message)
            }
        }
        guard !annotation.exact.isEmpty else {
            let offsets = annotation.start.map { start in "[\(start), \(annotation.end.map(String.init) ?? "?"))" } ?? "none"
            throw .unanchorable("its offsets (\(offsets)) are not a span of the document (\(text.count) code points) and it has no quote to look for")
        }
        let length = annotation.exact.unicodeScalars.count
        let found = text.occurrences(of: annotation.exact)
        let whole = Set(text.characterBoundaries(among: found + found.map { $0 + length }))
        let candidates = found.filter { whole.contains($0) && whole.contains($0 + length) }
        guard !candidates.isEmpty else {
            throw .unanchorable("its quote \(Excerpt.quoted(annotation.exact)) does not occur in the document (as whole characters)")
        }
        let prefix = Array(annotation.prefix.unicodeScalars)
        let suffix = Array(annotation.suffix.unicodeScalars)
        func score(_ start: Int) -> Int {
            var before = 0
            while before < prefix.count, start - before > 0, text.scalars[start - before - 1] == prefix[prefix.count - before - 1] { before += 1 }
            var after = 0
            let end = start + length
            while after < suffix.count, end + after < text.count, text.scalars[end + after] == suffix[after] { after += 1 }
            return before + after
        }
        let near = annotation.start ?? 0
        let best = candidates.max { lhs, rhs in
            let (left, right) = (score(lhs), score(rhs))
            if left != right { return left < right }
            return abs(lhs - near) > abs(rhs - near)
        }!
        do {
            let span = try text.span(start: best, end: best + length)
            return (span, annotation.start == nil ? .byQuote : .moved)
        } catch {
            throw .unanchorable(error.message)
        }
    }
}
