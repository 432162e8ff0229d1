//! Search parameters in URLs: reading them (repeatable, forgiving) and
//! writing the links that add or remove a filter, sort or change page.

use std::collections::BTreeMap;

use crate::search::{FacetField, SearchRequest, Sort};

pub const DEFAULT_PER_PAGE: usize = 10;
/// Values per facet in a search's answer unless `facet_limit=` says.
pub const DEFAULT_FACET_LIMIT: usize = 10;

/// Reads `q`, filters, `sort`, `page`, `per_page`, `facet_limit`. Values
/// that make no sense fall back to the default instead of failing the
/// search.
pub fn search_request(query: Option<&str>) -> SearchRequest {
    let mut request = SearchRequest {
        per_page: DEFAULT_PER_PAGE,
        facet_limit: DEFAULT_FACET_LIMIT,
        ..SearchRequest::default()
    };
    let Some(query) = query else { return request };
    let mut filters: BTreeMap<FacetField, Vec<String>> = BTreeMap::new();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let value = value.trim();
        match key.as_ref() {
            "q" => request.q = value.to_string(),
            "sort" => request.sort = Sort::parse(value).unwrap_or_default(),
            "page" => request.page = value.parse().unwrap_or(1).clamp(1, 10_000),
            "per_page" => request.per_page = value.parse().unwrap_or(DEFAULT_PER_PAGE).clamp(1, 100),
            "facet_limit" => {
                request.facet_limit = value
                    .parse()
                    .unwrap_or(DEFAULT_FACET_LIMIT)
                    .clamp(1, crate::search::MAX_FACET_LIMIT)
            }
            name => {
                if let Some(field) = FacetField::parse(name)
                    && !value.is_empty()
                {
                    let values = filters.entry(field).or_default();
                    if !values.iter().any(|v| v == value) {
                        values.push(value.to_string());
                    }
                }
            }
        }
    }
    request.filters = filters;
    request
}

/// Links from a results page to its neighbours.
pub struct Links<'a> {
    pub request: &'a SearchRequest,
}

impl Links<'_> {
    fn build(&self, filters: &BTreeMap<FacetField, Vec<String>>, sort: Sort, page: usize) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        if !self.request.q.is_empty() {
            out.append_pair("q", &self.request.q);
        }
        for (field, values) in filters {
            for v in values {
                out.append_pair(field.name(), v);
            }
        }
        if sort != Sort::Relevance {
            out.append_pair("sort", sort.as_str());
        }
        if page > 1 {
            out.append_pair("page", &page.to_string());
        }
        if self.request.per_page != DEFAULT_PER_PAGE {
            out.append_pair("per_page", &self.request.per_page.to_string());
        }
        format!("/search?{}", out.finish())
    }

    pub fn is_active(&self, field: &FacetField, value: &str) -> bool {
        self.request
            .filters
            .get(field)
            .is_some_and(|vs| vs.iter().any(|v| v == value))
    }

    /// Adds the filter, or removes it when already on.
    pub fn toggle(&self, field: &FacetField, value: &str) -> String {
        let mut filters = self.request.filters.clone();
        let values = filters.entry(*field).or_default();
        if let Some(i) = values.iter().position(|v| v == value) {
            values.remove(i);
        } else {
            values.push(value.to_string());
        }
        filters.retain(|_, v| !v.is_empty());
        self.build(&filters, self.request.sort, 1)
    }

    pub fn clear(&self) -> String {
        self.build(&BTreeMap::new(), self.request.sort, 1)
    }

    pub fn sort(&self, sort: &str) -> String {
        self.build(&self.request.filters, Sort::parse(sort).unwrap_or_default(), 1)
    }

    pub fn page(&self, page: &usize) -> String {
        self.build(&self.request.filters, self.request.sort, *page)
    }

    /// The page of all of one facet's values under this search.
    pub fn more(&self, field: FacetField) -> String {
        let search = self.build(&self.request.filters, self.request.sort, 1);
        let query = search.strip_prefix("/search?").unwrap_or("");
        format!("/search/facets/{}?{query}", field.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_filters_and_bad_values() {
        let r = search_request(Some(
            "q=%E7%9B%BE%E6%9E%84&tag=a&tag=b&tag=a&kind=method&page=x&per_page=1000&sort=bogus&foo=1",
        ));
        assert_eq!(r.q, "盾构");
        assert_eq!(r.filters[&FacetField::Tag], vec!["a", "b"]);
        assert_eq!(r.page, 1);
        assert_eq!(r.per_page, 100);
        assert_eq!(r.sort, Sort::Relevance);
    }

    #[test]
    fn links_toggle_filters_and_keep_the_rest() {
        let r = search_request(Some("q=x&tag=a&sort=newest&page=3"));
        let links = Links { request: &r };
        assert_eq!(links.toggle(&FacetField::Tag, "a"), "/search?q=x&sort=newest");
        assert_eq!(
            links.toggle(&FacetField::Kind, "patent"),
            "/search?q=x&kind=patent&tag=a&sort=newest"
        );
        assert_eq!(links.page(&2), "/search?q=x&tag=a&sort=newest&page=2");
    }
}
