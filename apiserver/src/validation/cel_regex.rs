//! Regular expressions in CEL rules (`matches`, `find`, `findAll`), compiled once per thread
//! rather than at every call as the `cel` and kube-cel functions do. kube-apiserver compiles a
//! rule's regular expressions once, and its cost model counts only matching; compiling at every
//! call made a rule over a thousand list items spend most of its time, uncounted, in the regex
//! compiler.

use std::{cell::RefCell, collections::HashMap, sync::Arc};

use kube_cel::cel::{
    Context, ExecutionError, ResolveResult,
    extractors::{Arguments, This},
    objects::Value,
};
use regex::{Regex, RegexBuilder};

/// Compiled expressions kept per thread; the cache starts over when full.
const CACHED: usize = 256;
/// Largest compiled expression, so one pattern cannot make compiling expensive (the regex
/// crate's default is ten times this).
const COMPILED_SIZE_LIMIT: usize = 1024 * 1024;

type Compiled = Result<Arc<Regex>, String>;

thread_local! {
    static CACHE: RefCell<HashMap<Arc<String>, Compiled>> = RefCell::new(HashMap::new());
}

/// Replaces the regular-expression functions of `context` with caching ones.
pub(super) fn register(context: &mut Context<'_>) {
    context.add_function("matches", matches);
    context.add_function("find", find);
    context.add_function("findAll", find_all);
}

fn compiled(function: &str, pattern: &Arc<String>) -> Result<Arc<Regex>, ExecutionError> {
    let found = CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(found) = cache.get(pattern) {
            return found.clone();
        }
        if cache.len() >= CACHED {
            cache.clear();
        }
        let built = RegexBuilder::new(pattern)
            .size_limit(COMPILED_SIZE_LIMIT)
            .build()
            .map(Arc::new)
            .map_err(|e| e.to_string());
        cache.insert(pattern.clone(), built.clone());
        built
    });
    found.map_err(|e| {
        ExecutionError::function_error(function, format!("'{pattern}' not a valid regex:\n{e}"))
    })
}

/// `<string>.matches(<string>) -> <bool>`, and `matches(<string>, <string>)`.
fn matches(This(this): This<Arc<String>>, pattern: Arc<String>) -> ResolveResult {
    let regex = compiled("matches", &pattern)?;
    Ok(Value::Bool(regex.is_match(&this)))
}

/// `<string>.find(<string>) -> <string>`: the first match, or `""`.
fn find(This(this): This<Arc<String>>, pattern: Arc<String>) -> ResolveResult {
    let regex = compiled("find", &pattern)?;
    let found = regex.find(&this).map(|m| m.as_str().to_owned());
    Ok(Value::String(Arc::new(found.unwrap_or_default())))
}

/// `<string>.findAll(<string>[, <int>]) -> <list<string>>`: the matches, at most the limit.
fn find_all(This(this): This<Arc<String>>, Arguments(args): Arguments) -> ResolveResult {
    let Some(Value::String(pattern)) = args.first() else {
        return Err(ExecutionError::function_error(
            "findAll",
            "expected string pattern",
        ));
    };
    let regex = compiled("findAll", pattern)?;
    let limit = match args.get(1) {
        Some(Value::Int(n)) if *n >= 0 => *n as usize,
        _ => usize::MAX,
    };
    let found = regex
        .find_iter(&this)
        .take(limit)
        .map(|m| Value::String(Arc::new(m.as_str().to_owned())))
        .collect();
    Ok(Value::List(Arc::new(found)))
}
