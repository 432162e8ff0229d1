//! Who is looking: the viewer every search and page takes, and what each
//! role may see. The rule lives here once; the search module turns it into
//! a query clause so hidden records never reach hits, counts or facets.

use crate::content::Visibility;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Anonymous,
    /// Reads `public` and `members` records.
    Member,
    /// Also reads and writes its own studio's records.
    Publisher {
        studio: String,
    },
    /// Union staff: reads everything.
    Staff,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub name: Option<String>,
    pub role: Role,
}

impl Viewer {
    pub fn anonymous() -> Self {
        Viewer {
            name: None,
            role: Role::Anonymous,
        }
    }

    pub fn staff(name: &str) -> Self {
        Viewer {
            name: Some(name.to_string()),
            role: Role::Staff,
        }
    }

    /// The visibilities this viewer sees for every studio's records.
    pub fn open_visibilities(&self) -> &'static [Visibility] {
        match self.role {
            Role::Anonymous => &[Visibility::Public],
            Role::Member | Role::Publisher { .. } => &[Visibility::Public, Visibility::Members],
            Role::Staff => &[Visibility::Public, Visibility::Members, Visibility::Studio],
        }
    }

    /// The studio whose `studio`-visibility records this viewer also sees.
    pub fn own_studio(&self) -> Option<&str> {
        match &self.role {
            Role::Publisher { studio } => Some(studio),
            _ => None,
        }
    }

    pub fn may_see(&self, visibility: Visibility, studio: &str) -> bool {
        self.open_visibilities().contains(&visibility) || self.own_studio() == Some(studio)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_see_what_the_spec_says() {
        let publisher = Viewer {
            name: Some("p".into()),
            role: Role::Publisher { studio: "a".into() },
        };
        let member = Viewer {
            name: Some("m".into()),
            role: Role::Member,
        };
        assert!(Viewer::anonymous().may_see(Visibility::Public, "a"));
        assert!(!Viewer::anonymous().may_see(Visibility::Members, "a"));
        assert!(member.may_see(Visibility::Members, "a"));
        assert!(!member.may_see(Visibility::Studio, "a"));
        assert!(publisher.may_see(Visibility::Studio, "a"));
        assert!(!publisher.may_see(Visibility::Studio, "b"));
        assert!(Viewer::staff("s").may_see(Visibility::Studio, "b"));
    }
}
