//! The console's audit section, over HTTP and in headless Chromium.
