fn main() {
    eprintln!("dockerfile-frontend: not yet implemented");
    std::process::exit(1);
}
