//! Who may do what: every row of the role table in DESIGN.md, in one place.
//! Writes to a room ([`may_write`]) are asked on every update a connection
//! sends; commands ([`may`]) by every command before it looks at anything
//! else; presence ([`shows_presence`]) on every awareness update. The test
//! at the bottom is the table itself.

use draftroom_shared::{Role, RoomName, Stage};
use uuid::Uuid;

use crate::meeting::error::MeetingError;
use crate::meeting::state::{MeetingState, Status};
use crate::room::Denied;

/// A command of the external interface that changes the meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Command {
    /// `POST …/editors`: let a participant co-edit the draft.
    GrantEditor,
    /// `POST …/people`: add someone in the room who has no device.
    AddPerson,
    /// `POST …/invites/rotate`: replace invites and the participant code.
    RotateInvites,
    /// `POST …/amendments`: propose a wording for a clause.
    OpenAmendment,
    /// `POST …/amendments/{id}/support`.
    Support,
    /// `POST …/amendments/{id}/accept`.
    Accept,
    /// `POST …/amendments/{id}/reject`.
    Reject,
    /// `POST …/freeze`.
    Freeze,
    /// `POST …/reopen`.
    Reopen,
    /// `POST …/clauses/{id}/move`: a write of the draft.
    MoveClause,
    /// `POST …/groups`: make a working group.
    CreateGroup,
    /// `POST …/groups/{id}/members` for someone else: put them in a group.
    AssignGroup,
    /// `POST …/groups/{id}/members` for oneself: join a group.
    JoinGroup,
    /// `POST …/elements`: add an element to a group's list (one's own
    /// group's; the moderator's to any).
    AddElement,
    /// `POST …/elements/{id}/share`: mark that a group shares an element
    /// (one's own group; the moderator for any).
    MarkShare,
    /// `POST …/elements/{id}/merge`: a duplicate linked to what it repeats.
    MergeElements,
    /// `POST …/elements/{id}/split`: a compound element into its parts.
    SplitElement,
    /// `POST …/elements/{id}/value`: mark a value, or nest an element
    /// under one.
    MarkValue,
    /// `POST …/stage`: move the meeting to another stage.
    SetStage,
    /// `POST …/elements/{id}/pull`: start a clause from an element.
    PullElement,
    /// `POST …/clauses/{id}/elements`: link a clause to an element it
    /// carries, or take the link back.
    LinkElement,
    /// `POST …/clauses/{id}/signals`: one's own signal on a clause.
    Signal,
    /// `POST …/clauses/{id}/signals` for someone else: a signal recorded
    /// for a person without a device.
    SignalFor,
    /// `POST …/checks`: open a consensus check on the whole text.
    OpenCheck,
    /// `POST …/checks/{n}/answers`: one's own answer.
    AnswerCheck,
    /// `POST …/checks/{n}/answers` for someone else.
    AnswerFor,
    /// `POST …/checks/{n}/close`.
    CloseCheck,
}

impl Command {
    /// Every command, for the table's test.
    #[cfg(test)]
    const ALL: [Command; 27] = [
        Command::GrantEditor,
        Command::AddPerson,
        Command::RotateInvites,
        Command::OpenAmendment,
        Command::Support,
        Command::Accept,
        Command::Reject,
        Command::Freeze,
        Command::Reopen,
        Command::MoveClause,
        Command::CreateGroup,
        Command::AssignGroup,
        Command::JoinGroup,
        Command::AddElement,
        Command::MarkShare,
        Command::MergeElements,
        Command::SplitElement,
        Command::MarkValue,
        Command::SetStage,
        Command::PullElement,
        Command::LinkElement,
        Command::Signal,
        Command::SignalFor,
        Command::OpenCheck,
        Command::AnswerCheck,
        Command::AnswerFor,
        Command::CloseCheck,
    ];

    /// What the moderator alone does, as "only the moderator may …" ends.
    fn moderators(self) -> Option<&'static str> {
        match self {
            Command::GrantEditor => Some("grant editing"),
            Command::AddPerson => Some("add people without a device"),
            Command::RotateInvites => Some("replace invites"),
            Command::Accept => Some("accept amendments"),
            Command::Reject => Some("reject amendments"),
            Command::Freeze => Some("freeze the draft"),
            Command::Reopen => Some("reopen the draft"),
            Command::CreateGroup => Some("make working groups"),
            Command::AssignGroup => Some("put others in working groups"),
            Command::MergeElements => Some("merge elements"),
            Command::SplitElement => Some("split elements"),
            Command::MarkValue => Some("mark values"),
            Command::SetStage => Some("move the meeting to another stage"),
            Command::PullElement => Some("start clauses from elements"),
            Command::LinkElement => Some("link clauses to elements"),
            Command::SignalFor => Some("record a signal for someone else"),
            Command::OpenCheck => Some("open a consensus check"),
            Command::AnswerFor => Some("record an answer for someone else"),
            Command::CloseCheck => Some("close a consensus check"),
            Command::Signal
            | Command::AnswerCheck
            | Command::OpenAmendment
            | Command::Support
            | Command::MoveClause
            | Command::JoinGroup
            | Command::AddElement
            | Command::MarkShare => None,
        }
    }

    /// The stages in which the command is taken.
    fn stages(self) -> &'static [Stage] {
        use Stage::*;
        match self {
            Command::GrantEditor | Command::RotateInvites | Command::AddPerson => &Stage::ALL,
            Command::CreateGroup | Command::AddElement => &[Collect],
            Command::AssignGroup
            | Command::JoinGroup
            | Command::MergeElements
            | Command::SplitElement => &[Collect, CommonGround],
            Command::MarkShare | Command::MarkValue => &[CommonGround],
            Command::PullElement | Command::LinkElement | Command::MoveClause => &[Draft, Amend],
            Command::OpenAmendment
            | Command::Support
            | Command::Accept
            | Command::Reject
            | Command::Signal
            | Command::SignalFor => &[Amend],
            Command::OpenCheck | Command::Freeze => &[Amend, Agree],
            Command::AnswerCheck | Command::AnswerFor | Command::CloseCheck => &[Agree],
            Command::SetStage => &[Collect, CommonGround, Draft, Amend, Agree],
            Command::Reopen => &[Frozen],
        }
    }

    /// What the command does, as "… is done in the … stage" begins.
    fn doing(self) -> &'static str {
        match self {
            Command::GrantEditor => "granting editing",
            Command::AddPerson => "adding people",
            Command::RotateInvites => "replacing invites",
            Command::OpenAmendment => "proposing amendments",
            Command::Support => "supporting amendments",
            Command::Accept | Command::Reject => "deciding on amendments",
            Command::Freeze => "freezing the draft",
            Command::Reopen => "reopening the draft",
            Command::MoveClause => "moving clauses",
            Command::CreateGroup => "making working groups",
            Command::AssignGroup | Command::JoinGroup => "joining working groups",
            Command::AddElement => "adding elements",
            Command::MarkShare => "marking shared elements",
            Command::MergeElements | Command::SplitElement => "merging and splitting elements",
            Command::MarkValue => "marking values",
            Command::SetStage => "moving between stages",
            Command::PullElement | Command::LinkElement => "linking clauses to elements",
            Command::Signal | Command::SignalFor => "signalling on clauses",
            Command::OpenCheck => "opening a consensus check",
            Command::AnswerCheck | Command::AnswerFor => "answering a consensus check",
            Command::CloseCheck => "closing a consensus check",
        }
    }
}

/// May `role` give `command` in `stage`? The role first (403), then the
/// stage (409 `conflict` naming the stage); the command's own checks of the meeting's
/// state come after both. Asked under the meeting's command lock, which
/// every stage move takes too.
pub(crate) fn admit(role: Role, stage: Stage, command: Command) -> Result<(), MeetingError> {
    may(role, command)?;
    let stages = command.stages();
    if stages.contains(&stage) {
        return Ok(());
    }
    let names: Vec<&str> = stages.iter().map(|s| s.as_str()).collect();
    Err(MeetingError::WrongStage {
        message: format!(
            "{} is done in the {} stage, and the meeting is in the {stage} stage",
            command.doing(),
            names.join(" or ")
        ),
        stage,
    })
}

/// Whether `role` writes the draft (while it is not frozen).
fn writes_draft(role: Role) -> bool {
    matches!(role, Role::Moderator | Role::Editor)
}

/// May `role` give `command` at all? The stage is [`admit`]'s; the
/// meeting's state (who proposed what) is the command's own check.
fn may(role: Role, command: Command) -> Result<(), MeetingError> {
    if let Some(what) = command.moderators() {
        return if role == Role::Moderator {
            Ok(())
        } else {
            Err(MeetingError::forbidden(format!(
                "only the moderator may {what}"
            )))
        };
    }
    match (command, role) {
        (Command::OpenAmendment, Role::Observer) => Err(MeetingError::forbidden(
            "observers follow read-only; only participants propose amendments",
        )),
        (Command::Support, Role::Moderator) => Err(MeetingError::forbidden(
            "the moderator decides on amendments; participants support them",
        )),
        (Command::Support, Role::Observer) => Err(MeetingError::forbidden(
            "observers follow read-only; participants support amendments",
        )),
        (Command::MoveClause, role) if !writes_draft(role) => Err(MeetingError::forbidden(
            "only the moderator and editors write the draft, and so move its clauses",
        )),
        (Command::JoinGroup, Role::Moderator) => Err(MeetingError::forbidden(
            "the moderator leads the groups and is in none",
        )),
        (Command::Signal | Command::AnswerCheck, Role::Observer) => Err(MeetingError::forbidden(
            "observers follow read-only; the people in the room give their signals",
        )),
        (Command::JoinGroup | Command::AddElement | Command::MarkShare, Role::Observer) => {
            Err(MeetingError::forbidden(
                "observers follow read-only; the working groups are the participants'",
            ))
        }
        _ => Ok(()),
    }
}

/// May `user` write `room` now? Asked under the room's document lock, so
/// that a freeze (which takes it too) and a write cannot interleave.
pub(crate) fn may_write(st: &MeetingState, user: Uuid, room: RoomName) -> Result<(), Denied> {
    let role = st.members.get(&user).map(|m| m.role);
    match room {
        RoomName::Meeting => Err(Denied::ServerOnly),
        RoomName::Draft => match role {
            Some(r) if writes_draft(r) => match st.stage {
                Stage::Draft | Stage::Amend => Ok(()),
                Stage::Frozen => Err(Denied::Frozen),
                Stage::Collect | Stage::CommonGround => Err(Denied::NotYet),
                Stage::Agree => Err(Denied::Checking),
            },
            _ => Err(Denied::Role),
        },
        RoomName::Amendment(id) => match st.amendment(id) {
            Some(a) if a.author != user => Err(Denied::NotAuthor),
            Some(a) if a.status != Status::Open => Err(Denied::Decided),
            Some(_) => Ok(()),
            None => Err(Denied::Role),
        },
    }
}

/// Whether a connection of `role` shows its presence (cursor, name) to
/// the room. Observers do not: thousands of followers are a count, not a
/// list of cursors.
pub(crate) fn shows_presence(role: Option<Role>) -> bool {
    !matches!(role, None | Some(Role::Observer))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use draftroom_shared::Language;

    use super::*;
    use crate::meeting::state::{Amendment, Member};

    const ROLES: [Role; 4] = [
        Role::Moderator,
        Role::Editor,
        Role::Participant,
        Role::Observer,
    ];

    fn member(role: Role) -> Member {
        Member {
            id: Uuid::new_v4(),
            name: role.to_string(),
            role,
            colour: String::new(),
            joined_at: 0,
        }
    }

    fn amendment(author: Uuid, status: Status) -> Amendment {
        Amendment {
            id: Uuid::new_v4(),
            clause_id: "c".into(),
            author,
            status,
            supporters: Vec::new(),
            created_at: 0,
            decided_at: None,
            decided_by: None,
            text: String::new(),
            base: None,
        }
    }

    fn meeting(members: &[Member], stage: Stage, amendments: Vec<Amendment>) -> MeetingState {
        MeetingState {
            title: "t".into(),
            created_at: 0,
            language: Language::En,
            participant_invite: [0; 32],
            observer_invite: [0; 32],
            participant_code: None,
            members: members.iter().map(|m| (m.id, m.clone())).collect(),
            by_token: HashMap::new(),
            bindings: HashMap::new(),
            stage,
            workshop: true,
            amendments,
            versions: Vec::new(),
        }
    }

    /// DESIGN.md's table, "does" column: which roles give each command.
    #[test]
    fn commands_follow_the_role_table() {
        use Command::*;
        // (command, moderator, editor, participant, observer)
        let table = [
            (GrantEditor, true, false, false, false),
            (AddPerson, true, false, false, false),
            (RotateInvites, true, false, false, false),
            (OpenAmendment, true, true, true, false),
            (Support, false, true, true, false),
            (Accept, true, false, false, false),
            (Reject, true, false, false, false),
            (Freeze, true, false, false, false),
            (Reopen, true, false, false, false),
            (MoveClause, true, true, false, false),
            (CreateGroup, true, false, false, false),
            (AssignGroup, true, false, false, false),
            (JoinGroup, false, true, true, false),
            (AddElement, true, true, true, false),
            (MarkShare, true, true, true, false),
            (MergeElements, true, false, false, false),
            (SplitElement, true, false, false, false),
            (MarkValue, true, false, false, false),
            (SetStage, true, false, false, false),
            (PullElement, true, false, false, false),
            (LinkElement, true, false, false, false),
            (Signal, true, true, true, false),
            (SignalFor, true, false, false, false),
            (OpenCheck, true, false, false, false),
            (AnswerCheck, true, true, true, false),
            (AnswerFor, true, false, false, false),
            (CloseCheck, true, false, false, false),
        ];
        assert_eq!(table.len(), Command::ALL.len(), "every command has a row");
        for (command, m, e, p, o) in table {
            for (role, allowed) in ROLES.into_iter().zip([m, e, p, o]) {
                let got = may(role, command);
                assert_eq!(got.is_ok(), allowed, "{role} {command:?}: {got:?}");
                if let Err(e) = got {
                    assert!(matches!(e, MeetingError::Forbidden(_)), "{e:?}");
                }
            }
        }
    }

    /// DESIGN.md's table, "may write" column, with the states that change
    /// it: every role × every room.
    #[test]
    fn writes_follow_the_role_table() {
        let people = ROLES.map(member);
        let [_, editor, participant, _] = &people;
        let own = |author: &Member, status| amendment(author.id, status);
        let open_of_participant = own(participant, Status::Open);
        let open_of_editor = own(editor, Status::Open);
        let accepted = own(participant, Status::Accepted);
        let rejected = own(participant, Status::Rejected);
        let ids = [
            open_of_participant.id,
            open_of_editor.id,
            accepted.id,
            rejected.id,
        ];
        let amendments = vec![open_of_participant, open_of_editor, accepted, rejected];
        let open = meeting(&people, Stage::Amend, amendments.clone());
        let frozen = meeting(&people, Stage::Frozen, amendments);
        let unknown = RoomName::Amendment(Uuid::new_v4());
        use Denied::*;
        // (room, frozen?, moderator, editor, participant, observer)
        let table = [
            (RoomName::Meeting, false, [Err(ServerOnly); 4]),
            (
                RoomName::Draft,
                false,
                [Ok(()), Ok(()), Err(Role), Err(Role)],
            ),
            (
                RoomName::Draft,
                true,
                [Err(Frozen), Err(Frozen), Err(Role), Err(Role)],
            ),
            (
                RoomName::Amendment(ids[0]),
                false,
                [Err(NotAuthor), Err(NotAuthor), Ok(()), Err(NotAuthor)],
            ),
            (
                RoomName::Amendment(ids[1]),
                false,
                [Err(NotAuthor), Ok(()), Err(NotAuthor), Err(NotAuthor)],
            ),
            // Amendments are not frozen with the draft.
            (
                RoomName::Amendment(ids[0]),
                true,
                [Err(NotAuthor), Err(NotAuthor), Ok(()), Err(NotAuthor)],
            ),
            (
                RoomName::Amendment(ids[2]),
                false,
                [Err(NotAuthor), Err(NotAuthor), Err(Decided), Err(NotAuthor)],
            ),
            (
                RoomName::Amendment(ids[3]),
                false,
                [Err(NotAuthor), Err(NotAuthor), Err(Decided), Err(NotAuthor)],
            ),
            (unknown, false, [Err(Role); 4]),
            (RoomName::Meeting, true, [Err(ServerOnly); 4]),
        ];
        for (room, is_frozen, expected) in table {
            let st = if is_frozen { &frozen } else { &open };
            for (who, want) in people.iter().zip(expected) {
                assert_eq!(
                    may_write(st, who.id, room),
                    want,
                    "{} writing {room} (frozen: {is_frozen})",
                    who.role
                );
            }
        }
        // Someone the meeting does not know writes nothing.
        assert_eq!(may_write(&open, Uuid::new_v4(), RoomName::Draft), Err(Role));
    }

    /// The draft is written in the draft and amend stages only: before
    /// them the groups' elements come first, in the agree stage it is
    /// locked for the check, and frozen once agreed. Roles that never
    /// write it are refused for their role in every stage.
    #[test]
    fn the_draft_is_written_in_the_draft_and_amend_stages() {
        let people = ROLES.map(member);
        use Denied::*;
        use Stage::*;
        let table = [
            (Collect, Err(NotYet)),
            (CommonGround, Err(NotYet)),
            (Draft, Ok(())),
            (Amend, Ok(())),
            (Agree, Err(Checking)),
            (Stage::Frozen, Err(Denied::Frozen)),
        ];
        for (stage, writers) in table {
            let st = meeting(&people, stage, Vec::new());
            let got = people
                .each_ref()
                .map(|p| may_write(&st, p.id, RoomName::Draft));
            assert_eq!(got, [writers, writers, Err(Role), Err(Role)], "{stage}");
        }
    }

    /// Every command × every stage × every role: a role the table forbids
    /// is refused for its role (403) whatever the stage; a role it allows
    /// is refused for the stage (409 `conflict` naming the stage) outside the command's
    /// stages; otherwise admitted.
    #[test]
    fn commands_follow_the_stage_table() {
        use Command::*;
        use Stage::*;
        // (command, the stages it is taken in)
        let table: [(Command, &[Stage]); 27] = [
            (GrantEditor, &Stage::ALL),
            (AddPerson, &Stage::ALL),
            (RotateInvites, &Stage::ALL),
            (CreateGroup, &[Collect]),
            (AssignGroup, &[Collect, CommonGround]),
            (JoinGroup, &[Collect, CommonGround]),
            (AddElement, &[Collect]),
            (MergeElements, &[Collect, CommonGround]),
            (SplitElement, &[Collect, CommonGround]),
            (MarkShare, &[CommonGround]),
            (MarkValue, &[CommonGround]),
            (PullElement, &[Draft, Amend]),
            (LinkElement, &[Draft, Amend]),
            (MoveClause, &[Draft, Amend]),
            (OpenAmendment, &[Amend]),
            (Support, &[Amend]),
            (Accept, &[Amend]),
            (Reject, &[Amend]),
            (Signal, &[Amend]),
            (SignalFor, &[Amend]),
            (OpenCheck, &[Amend, Agree]),
            (Freeze, &[Amend, Agree]),
            (AnswerCheck, &[Agree]),
            (AnswerFor, &[Agree]),
            (CloseCheck, &[Agree]),
            (SetStage, &[Collect, CommonGround, Draft, Amend, Agree]),
            (Reopen, &[Stage::Frozen]),
        ];
        for command in Command::ALL {
            assert!(
                table.iter().any(|(c, _)| *c == command),
                "{command:?} has a row"
            );
        }
        for (command, stages) in table {
            for stage in Stage::ALL {
                for role in ROLES {
                    let got = admit(role, stage, command);
                    let role_may = may(role, command).is_ok();
                    match got {
                        Ok(()) => assert!(
                            role_may && stages.contains(&stage),
                            "{role} {command:?} in {stage}"
                        ),
                        Err(MeetingError::Forbidden(_)) => {
                            assert!(!role_may, "{role} {command:?} in {stage}")
                        }
                        Err(MeetingError::WrongStage { message: ref m, .. }) => {
                            assert!(
                                role_may && !stages.contains(&stage),
                                "{role} {command:?} in {stage}"
                            );
                            assert!(m.contains(stage.as_str()), "{m}");
                        }
                        Err(e) => panic!("{role} {command:?} in {stage}: {e:?}"),
                    }
                }
            }
        }
    }

    #[test]
    fn only_people_in_the_room_show_presence() {
        let shown: Vec<bool> = ROLES.map(|r| shows_presence(Some(r))).to_vec();
        assert_eq!(shown, [true, true, true, false]);
        assert!(!shows_presence(None));
    }
}
