public import GlossCore

/// Decides whether operations a site has just committed can go to a peer as
/// they are, without reading the log: a link that is caught up sends each
/// commit the moment it happens.
///
/// They can when, after dropping those the peer already has (by the sender's
/// notion of the peer's version vector), each origin's remaining operations
/// continue that vector without a gap. Otherwise (the link is still catching
/// up, or commits were missed) the sender reads what the peer lacks from the
/// log, which is always right.
public enum LivePush {
    /// The operations of `committed` (in commit order) that `notion` lacks, in
    /// that order, if they continue `notion` contiguously for every origin; nil
    /// when one would leave a gap.
    public static func continuation(of notion: VersionVector, with committed: [AnnotationOperation]) -> [AnnotationOperation]? {
        var next = notion
        var sent: [AnnotationOperation] = []
        for operation in committed {
            let held = next[operation.dot.replica]
            if operation.dot.counter <= held { continue }
            guard operation.dot.counter == held + 1 else { return nil }
            next.advance(operation.dot.replica, to: operation.dot.counter)
            sent.append(operation)
        }
        return sent
    }
}
