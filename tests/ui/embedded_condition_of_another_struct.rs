use insula::prelude::*;

#[derive(Embedded, Debug, Clone, Default, PartialEq)]
pub struct Address {
    pub city: String,
}

#[derive(Embedded, Debug, Clone, Default, PartialEq)]
pub struct Profile {
    pub name: String,
    pub address: Address,
}

#[derive(Collection, Debug, Default)]
pub struct User {
    #[id]
    pub id: Id,
    pub profile: Profile,
    pub name: String,
}

fn main() {
    // A condition on an `Address` does not apply to the `Profile` around it.
    let _ = User::PROFILE.with(Address::CITY.eq("Paris"));
    // Nor is a plain string field an embedded struct.
    let _ = User::NAME.with(Profile::NAME.eq("Ada"));
}
