//! The console's risk section, over HTTP and in headless Chromium.
