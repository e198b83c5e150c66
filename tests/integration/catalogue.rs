//! The workshop's catalogue as every member reads it: groups, elements,
//! share marks and the common ground computed from them. A meeting starts
//! with none of them; reading needs a member's token.

use crate::Start;
use draftroom_tests::{Meeting, Server, assert_error};
use serde_json::json;

#[tokio::test]
async fn a_new_meeting_has_an_empty_catalogue_that_only_members_read() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja Miasta Krakowa").await?;
    let path = format!("/api/meetings/{}/catalogue", meeting.id());
    for token in [
        meeting.moderator_token(),
        meeting.participant.token.as_str(),
        meeting.observer.token.as_str(),
    ] {
        let answer = server.get(&path, Some(token)).await?;
        assert_eq!(answer.0, 200, "{}", answer.1);
        assert_eq!(
            answer.1,
            json!({ "groups": [], "elements": [], "common_ground": [] })
        );
    }
    let anonymous = server.get(&path, None).await?;
    assert_error("reading without a token", &anonymous, 401, "unauthorized");
    Ok(())
}
