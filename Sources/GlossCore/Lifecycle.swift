/// The values of an annotation's lifecycle register.
public enum Lifecycle: Hashable, Sendable {
    /// A deletion, with everything its author had seen of the annotation: the
    /// deletion takes effect only over edits it covers.
    case deleted(seen: CausalContext)
    /// A decision to keep an annotation whose deletion conflicted with an edit.
    case restored
}
