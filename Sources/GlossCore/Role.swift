/// What a user may do in one project. Each role includes the ones before it:
/// reader < analyst < reviewer < admin.
public enum Role: String, Hashable, Sendable, CaseIterable, Comparable {
    /// Reads documents and annotations and watches live changes.
    case reader
    /// Also adds documents and adds, edits, tags, deletes and resolves annotations.
    case analyst
    /// Also records review decisions.
    case reviewer
    /// Everything in the project.
    case admin

    private var rank: Int { Self.allCases.firstIndex(of: self)! }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}
