use insula::prelude::*;

#[derive(Collection, Debug, Default)]
pub struct Message {
    #[id]
    pub id: Id,
    pub content: String,
}

fn main() -> insula::Result<()> {
    let db = Db::builder().collection::<Message>().open("data")?;
    db.messages().put(&mut Message::default())?;
    Ok(())
}
