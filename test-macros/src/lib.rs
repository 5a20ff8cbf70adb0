//! The integration tests' attributes. `#[on_both_databases]` makes one
//! async test body, taking a `TestApp`, into two tests, one on SQLite and
//! one on PostgreSQL; `#[in_a_process_of_its_own]` runs a test in a fresh
//! process, for a test that reads what a whole process shares.
//!
//! They stand on the test itself, so a test cannot be written and then
//! left off a list. They read the tokens with the compiler's own
//! `proc_macro` alone (a function's name and body are all they need),
//! which keeps the tests' build free of a parser crate.

use proc_macro::{Delimiter, Group, TokenStream, TokenTree};

/// Runs the async fn it stands on, which takes the test's `TestApp`, once
/// on a fresh SQLite database (`NAME::sqlite`) and once on a fresh
/// PostgreSQL database (`NAME::postgres`); `crate::support` of the test
/// binary builds the app. `#[on_both_databases(own_process)]` runs each
/// in a process of its own (see [`macro@in_a_process_of_its_own`]).
#[proc_macro_attribute]
pub fn on_both_databases(arguments: TokenStream, item: TokenStream) -> TokenStream {
    let own_process = match arguments.to_string().as_str() {
        "" => false,
        "own_process" => true,
        _ => return compile_error("`#[on_both_databases]` takes nothing, or `own_process`"),
    };
    let Some(name) = function_name(&item) else {
        return compile_error("`#[on_both_databases]` stands on an `async fn NAME(app: TestApp)`");
    };
    let test = |database: &str, backend: &str| {
        let alone = if own_process {
            format!("if !crate::support::runs_here(module_path!(), \"{database}\").await {{ return; }}")
        } else {
            String::new()
        };
        format!(
            "#[::tokio::test(flavor = \"multi_thread\", worker_threads = 2)]
            async fn {database}() {{
                {alone}
                if let Some(app) = crate::support::TestApp::spawn(crate::support::Backend::{backend}).await {{
                    super::{name}(app).await;
                }}
            }}"
        )
    };
    let tests = format!(
        "mod {name} {{ {} {} }}",
        test("sqlite", "Sqlite"),
        test("postgres", "Postgres")
    );
    let mut output = item;
    output.extend(tests.parse::<TokenStream>().expect("the generated tests parse"));
    output
}

/// Runs the async test it stands on (above its `#[tokio::test]`) in a
/// process of its own: the test binary runs again with only this test,
/// and this test passes if it passes there. For a test that reads what
/// every test in the binary writes to, such as the metrics registry.
#[proc_macro_attribute]
pub fn in_a_process_of_its_own(arguments: TokenStream, item: TokenStream) -> TokenStream {
    if !arguments.is_empty() {
        return compile_error("`#[in_a_process_of_its_own]` takes no arguments");
    }
    let Some(name) = function_name(&item) else {
        return compile_error("`#[in_a_process_of_its_own]` stands on an `async fn`");
    };
    let mut tokens: Vec<TokenTree> = item.into_iter().collect();
    let Some(TokenTree::Group(body)) = tokens
        .pop()
        .filter(|t| matches!(t, TokenTree::Group(g) if g.delimiter() == Delimiter::Brace))
    else {
        return compile_error("`#[in_a_process_of_its_own]` stands on a function with a body");
    };
    let mut stream: TokenStream =
        format!("if !crate::support::runs_here(module_path!(), \"{name}\").await {{ return; }}")
            .parse()
            .expect("the check parses");
    stream.extend(body.stream());
    tokens.push(TokenTree::Group(Group::new(Delimiter::Brace, stream)));
    tokens.into_iter().collect()
}

/// The identifier after `fn`, if the item is an async function.
fn function_name(item: &TokenStream) -> Option<String> {
    let mut tokens = item.clone().into_iter();
    let mut seen_async = false;
    while let Some(token) = tokens.next() {
        if let TokenTree::Ident(word) = &token {
            match word.to_string().as_str() {
                "async" => seen_async = true,
                "fn" if seen_async => match tokens.next()? {
                    TokenTree::Ident(name) => return Some(name.to_string()),
                    _ => return None,
                },
                "fn" => return None,
                _ => {}
            }
        }
    }
    None
}

fn compile_error(message: &str) -> TokenStream {
    format!("compile_error!({message:?});")
        .parse()
        .expect("a compile_error! parses")
}
